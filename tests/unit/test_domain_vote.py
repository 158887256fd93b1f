"""Every transition of a vote session (domain/vote.py), without broker or database."""
from datetime import datetime, timezone

import pytest

from services.submissions.domain.vote import VoteSession
from thidua.errors import AlreadyVoted, Conflict, Forbidden, PeriodNotOpen, ValidationFailed, VotingClosed
from tests.helpers import demo_template
from tests.unit.test_domain_access import CLUSTER, LEADER_U01, LEADER_U02, OFFICER_U01, OFFICER_U03, PROVINCE

NOW = datetime(2021, 5, 19, tzinfo=timezone.utc)
VOTING = {"_id": "2021-Q1", "state": "VOTING"}


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


def test_a_ballot_counts_the_unit_as_voted_and_keeps_the_choice_apart():
    level = opened().document["levels"][0]
    after, ballot, event = opened().cast({"classes": {"U01": level}, "leading_unit": "U02"}, OFFICER_U03, "b-1")
    assert after.document["voted"] == ["U03"] and after.document["version"] == 2
    assert ballot == {"_id": "b-1", "session": "s-1", "classes": {"U01": level}, "leading_unit": "U02"}
    assert event.type == "vote.ballot_cast.v1"
    assert (event.data["voter_unit"], event.data["ballots_cast"]) == ("U03", 1)
    assert "U02" not in repr(event.data) and level not in repr(event.data)   # who voted, never what


def test_who_voted_is_kept_in_code_order_not_arrival_order():
    vote = opened()
    for caller in (OFFICER_U03, LEADER_U01):
        vote, _, _ = vote.cast({"leading_unit": "U02"}, caller, "b")
    assert vote.document["voted"] == ["U01", "U03"]


@pytest.mark.parametrize("vote, ballot, caller, error", [
    (lambda: opened(), {"leading_unit": "U02"}, PROVINCE, Forbidden),
    (lambda: opened(), {"leading_unit": "U09"}, OFFICER_U03, ValidationFailed),
    (lambda: opened().cast({"leading_unit": "U02"}, OFFICER_U03, "b")[0], {"leading_unit": "U01"}, OFFICER_U03,
     AlreadyVoted),
    (lambda: opened().close([], LEADER_U01, NOW)[0], {"leading_unit": "U02"}, OFFICER_U03, VotingClosed),
    (lambda: VoteSession.none(CLUSTER, "2021-Q1"), {"leading_unit": "U02"}, OFFICER_U03, VotingClosed),
    (lambda: VoteSession.none(CLUSTER, "2021-Q1"), {"leading_unit": "U02"}, PROVINCE, Forbidden),
])
def test_a_refused_ballot(vote, ballot, caller, error):
    with pytest.raises(error):
        vote().cast(ballot, caller, "b-2")


def test_closing_tallies_the_ballots_and_only_then_shows_the_tally():
    vote, _, _ = opened().cast({"leading_unit": "U02"}, OFFICER_U03, "b-1")
    assert vote.view()["tally"] is None and vote.view()["ballots_cast"] == 1
    closed, event = vote.close([{"classes": {}, "leading_unit": "U02"}], LEADER_U02, NOW)
    tally = {"ballots_cast": 1, "eligible": 3, "classes": {}, "leading_unit": {"U02": 1}}
    assert (closed.document["state"], closed.document["closed_by"], closed.view()["tally"]) == ("CLOSED", "l2", tally)
    assert event.type == "vote.closed.v1" and event.data["tally"] == tally and event.data["rules"]


@pytest.mark.parametrize("vote, caller, error", [
    (opened, OFFICER_U03, Forbidden),
    (lambda: opened().close([], LEADER_U01, NOW)[0], LEADER_U01, VotingClosed),
    (lambda: VoteSession.none(CLUSTER, "2021-Q1"), LEADER_U01, VotingClosed),
])
def test_a_refused_closing(vote, caller, error):
    with pytest.raises(error):
        vote().close([], caller, NOW)
