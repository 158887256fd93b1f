"""Every transition of a vote session (domain/vote.py), without broker or database."""
import json
import random
from datetime import datetime, timezone

import pytest

from services.submissions.domain.vote import VoteSession
from thidua.errors import (AlreadyVoted, Conflict, Forbidden, PeriodNotOpen, RunConcluded, ValidationFailed,
                          VotingClosed)
from thidua import seal
from tests.helpers import demo_template
from tests.unit.test_domain_access import CLUSTER, LEADER_U01, LEADER_U02, OFFICER_U01, OFFICER_U03, PROVINCE

NOW = datetime(2021, 5, 19, tzinfo=timezone.utc)
VOTING = {"_id": "CUM-01:2021-Q1", "cluster": "CUM-01", "period": "2021-Q1", "state": "VOTING"}


def opened():
    vote, _ = VoteSession.open(CLUSTER, VOTING, demo_template(), None, LEADER_U01, NOW, "s-1")
    return vote


def test_the_cluster_lead_opens_a_vote_while_the_period_is_voting():
    vote, event = VoteSession.open(CLUSTER, VOTING, demo_template(), None, LEADER_U01, NOW, "s-1")
    doc = vote.document
    assert (doc["state"], doc["members"], doc["voted"], doc["tally"], doc["opened_by"], doc["version"]) == \
        ("OPEN", ["U01", "U02", "U03"], [], None, "l1", 1)
    assert doc["levels"] and doc["rules"] == demo_template()["voting"]
    assert event == ("vote.opened.v1", {"cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1",
                                        "period": "2021-Q1", "session_id": "s-1", "members": ["U01", "U02", "U03"]})


@pytest.mark.parametrize("caller, period, existing, error", [
    (OFFICER_U01, VOTING, None, Forbidden),
    (LEADER_U01, {**VOTING, "state": "SCORING"}, None, PeriodNotOpen),
    (LEADER_U01, VOTING, {"_id": "s-0"}, Conflict),
])
def test_a_refused_opening(caller, period, existing, error):
    with pytest.raises(error):
        VoteSession.open(CLUSTER, period, demo_template(), existing, caller, NOW, "s-1")


@pytest.mark.parametrize("state, error", [("CONCLUDED", RunConcluded), ("ARCHIVED", RunConcluded),
                                          ("SCORING", PeriodNotOpen)])
def test_a_vote_closes_only_while_the_run_is_voting_and_the_session_stays_open(state, error):
    vote = opened()
    with pytest.raises(error):
        vote.close({**VOTING, "state": state}, None, LEADER_U01, NOW, KEY, 1)
    assert vote.document["state"] == "OPEN" and vote.document["version"] == 1


KEY = "a-ballot-sealing-key-for-the-unit-tests-only-0123456789"


def sealed_for(token, ballot):
    """A ballot as the gateway sends it: sealed for its token."""
    return seal.seal_ballot(KEY, "CUM-01", "2021-Q1", token, ballot)


def voted(vote, box, caller, ballot, rng=None):
    """``caller``'s unit takes its token, then casts ``ballot`` with it: the session and the box after."""
    after, token, _ = vote.take(caller, box, KEY)
    vote = after or vote
    return vote, vote.cast(box, token, sealed_for(token, ballot), KEY, rng or random.Random(7))


def test_taking_a_ballot_counts_the_unit_as_voted_and_names_no_choice():
    after, token, event = opened().take(OFFICER_U03, None, KEY)
    assert after.document["voted"] == ["U03"] and after.document["version"] == 2
    assert event.type == "vote.ballot_cast.v1"
    assert (event.data["voter_unit"], event.data["ballots_cast"]) == ("U03", 1)
    assert token not in repr(after.document) and token not in repr(event.data)   # the token is not written down


def test_a_unit_that_lost_its_unused_token_gets_the_same_one_and_nothing_is_written():
    after, token, _ = opened().take(OFFICER_U03, None, KEY)
    again, same, event = after.take(OFFICER_U03, None, KEY)
    assert (again, same, event) == (None, token, None)
    assert opened().take(OFFICER_U01, None, KEY)[1] != token


def test_a_ballot_goes_sealed_into_the_box_with_no_voter_no_time_and_no_token():
    level = opened().document["levels"][0]
    vote, box = voted(opened(), None, OFFICER_U03, {"classes": {"U01": level}, "leading_unit": "U02"})
    assert set(box) == {"_id", "sealed", "spent", "version"} and box["_id"] == "s-1" and len(box["sealed"]) == 1
    token = vote.take(OFFICER_U03, None, KEY)[1]
    stored = repr(box)
    for trace in ("U03", "U02", "U01", level, token, token.split(".")[0]):
        assert trace not in stored
    assert vote.document["voted"] == ["U03"]


def test_ballots_rest_in_no_order_and_sealed_afresh():
    level = opened().document["levels"][0]
    ballot = {"classes": {"U01": level}}
    orders = set()
    for seed in range(12):
        vote, box = opened(), None
        for caller in (OFFICER_U03, LEADER_U01, LEADER_U02):
            vote, box = voted(vote, box, caller, {**ballot, "leading_unit": caller.unit}, random.Random(seed))
        orders.add(tuple(json.loads(seal.unseal(KEY, s, seal.ballot_in_box("s-1")))["leading_unit"]
                         for s in box["sealed"]))
        assert box["spent"] == sorted(box["spent"])
    assert len(orders) > 1   # where a ballot rests says nothing of when it came


def test_who_voted_is_kept_in_code_order_not_arrival_order():
    vote, box = opened(), None
    for caller in (OFFICER_U03, LEADER_U01):
        vote, box = voted(vote, box, caller, {"leading_unit": "U02"})
    assert vote.document["voted"] == ["U01", "U03"]


def test_a_used_token_casts_nothing_more_and_the_unit_cannot_take_another():
    vote, box = voted(opened(), None, OFFICER_U03, {"leading_unit": "U02"})
    token = vote.take(OFFICER_U03, None, KEY)[1]
    with pytest.raises(AlreadyVoted):
        vote.cast(box, token, sealed_for(token, {"leading_unit": "U01"}), KEY, random.Random(1))
    with pytest.raises(AlreadyVoted):
        vote.take(OFFICER_U03, box, KEY)


def test_an_invalid_ballot_leaves_the_token_unused():
    after, token, _ = opened().take(OFFICER_U03, None, KEY)
    with pytest.raises(ValidationFailed):
        after.cast(None, token, sealed_for(token, {"leading_unit": "U09"}), KEY, random.Random(1))
    assert after.cast(None, token, sealed_for(token, {"leading_unit": "U01"}), KEY, random.Random(1))["spent"]


@pytest.mark.parametrize("forge", [
    lambda token: ("0" * 32 + "." + "0" * 32, sealed_for(token, {"leading_unit": "U01"})),   # a made-up token
    lambda token: (token, seal.seal("another-key" * 4, b'{"leading_unit": "U01"}',
                                    seal.ballot_in_transit("CUM-01", "2021-Q1", token), bytes(16))),   # not ours
    lambda token: (token, sealed_for("0" * 32 + "." + "0" * 32, {"leading_unit": "U01"})),   # another token's
    lambda token: (token, '{"leading_unit": "U01"}'),                                         # not sealed at all
])
def test_a_forged_ballot_is_refused(forge):
    after, token, _ = opened().take(OFFICER_U03, None, KEY)
    with pytest.raises(Forbidden):
        after.cast(None, *forge(token), KEY, random.Random(1))


def test_a_token_of_another_vote_is_refused():
    other, _ = VoteSession.open(CLUSTER, VOTING, demo_template(), None, LEADER_U01, NOW, "s-2")
    token = other.take(OFFICER_U03, None, KEY)[1]
    after = opened().take(OFFICER_U03, None, KEY)[0]
    with pytest.raises(Forbidden):
        after.cast(None, token, sealed_for(token, {"leading_unit": "U01"}), KEY, random.Random(1))


@pytest.mark.parametrize("vote, caller, error", [
    (lambda: opened(), PROVINCE, Forbidden),
    (lambda: opened().close(VOTING, None, LEADER_U01, NOW, KEY, 3)[0], OFFICER_U03, VotingClosed),
    (lambda: VoteSession.none(CLUSTER, "2021-Q1"), OFFICER_U03, VotingClosed),
    (lambda: VoteSession.none(CLUSTER, "2021-Q1"), PROVINCE, Forbidden),
])
def test_a_refused_ballot_token(vote, caller, error):
    with pytest.raises(error):
        vote().take(caller, None, KEY)


def test_a_closed_vote_takes_no_ballot():
    after, token, _ = opened().take(OFFICER_U03, None, KEY)
    closed = after.close(VOTING, None, LEADER_U01, NOW, KEY, 1)[0]
    with pytest.raises(VotingClosed):
        closed.cast(None, token, sealed_for(token, {"leading_unit": "U01"}), KEY, random.Random(1))


def three_ballots():
    vote, box = opened(), None
    for caller, leading in ((OFFICER_U03, "U02"), (LEADER_U01, "U02"), (LEADER_U02, "U01")):
        vote, box = voted(vote, box, caller, {"leading_unit": leading})
    return vote, box


def test_closing_opens_the_box_tallies_it_and_only_then_shows_the_tally():
    vote, box = three_ballots()
    assert vote.view()["tally"] is None and vote.view()["ballots_cast"] == 3
    closed, event = vote.close(VOTING, box, LEADER_U02, NOW, KEY, 3)
    tally = {"ballots_cast": 3, "eligible": 3, "classes": {}, "leading_unit": {"U02": 2, "U01": 1}}
    assert (closed.document["state"], closed.document["closed_by"], closed.view()["tally"]) == ("CLOSED", "l2", tally)
    assert event.type == "vote.closed.v1" and event.data["tally"] == tally and event.data["rules"]


def test_fewer_ballots_than_the_minimum_publish_only_the_totals_per_class():
    level = opened().document["levels"][0]
    vote, box = voted(opened(), None, OFFICER_U03, {"classes": {"U01": level, "U02": level}, "leading_unit": "U02"})
    closed, event = vote.close(VOTING, box, LEADER_U02, NOW, KEY, 3)
    tally = {"ballots_cast": 1, "eligible": 3, "classes": {}, "leading_unit": {}, "withheld": True, "minimum": 3,
             "class_totals": {level: 2}}
    assert closed.view()["tally"] == tally and event.data["tally"] == tally
    assert "U01" not in repr(tally) and "U02" not in repr(tally)   # the one ballot is not published


def test_a_box_sealed_with_another_key_cannot_be_counted_and_says_why():
    vote, box = three_ballots()
    with pytest.raises(Conflict, match="BALLOT_SEAL_KEY"):
        vote.close(VOTING, box, LEADER_U02, NOW, "another-key" * 4, 3)


@pytest.mark.parametrize("vote, caller, error", [
    (opened, OFFICER_U03, Forbidden),
    (lambda: opened().close(VOTING, None, LEADER_U01, NOW, KEY, 3)[0], LEADER_U01, VotingClosed),
    (lambda: VoteSession.none(CLUSTER, "2021-Q1"), LEADER_U01, VotingClosed),
])
def test_a_refused_closing(vote, caller, error):
    with pytest.raises(error):
        vote().close(VOTING, None, caller, NOW, KEY, 3)
