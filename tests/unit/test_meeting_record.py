"""The meeting's record, pure: the vote count (biên bản kiểm phiếu), the drafting rules and the
proposal aggregate (đề nghị khen thưởng), and the roll-up."""
import itertools
from datetime import datetime, timezone

import pytest

from services.submissions.domain import proposal as rules
from services.submissions.domain.proposal import Proposal
from services.submissions.domain.vote_count import vote_count
from thidua.caller import Caller
from thidua.errors import Conflict, Forbidden, InvalidTransition, StaleVersion, ValidationFailed, VotingClosed
from tests.helpers import demo_template

NOW = datetime(2021, 5, 19, tzinfo=timezone.utc)
LEVELS = ["XUAT_SAC", "TOT", "KHA", "TRUNG_BINH", "YEU"]
MEMBERS = ["U01", "U02", "U03"]
CLUSTER = {"_id": "CUM-01", "name": "Cụm thi đua số 1", "members": [
    {"unit": "U01", "role": "lead"}, {"unit": "U02", "role": "deputy"}, {"unit": "U03", "role": "member"}]}
LEAD, OFFICER = Caller("hanh", "unit_leader", "U01"), Caller("cb3", "unit_officer", "U03")
OFFICE, CHAIR = Caller("trung", "standing_office", "U03"), Caller("thien", "provincial_leader", None)
RUN = {"cluster": "CUM-01", "period": "2021-Q1", "state": "CONCLUDED", "chair": "thien", "conclusion": None}
NAMES = {"U01": "Phòng Tham mưu", "U02": "Phòng Tổ chức cán bộ", "U03": "Phòng CTĐ"}


def session(tally, state="CLOSED", rules_=None):
    return {"_id": "s1", "cluster": "CUM-01", "period": "2021-Q1", "state": state, "members": MEMBERS,
            "levels": LEVELS, "rules": rules_ or {"threshold": 0.5, "quorum": 0.5}, "tally": tally,
            "closed_at": NOW}


def test_the_vote_count_holds_the_totals_the_counts_per_unit_and_what_the_vote_decides():
    tally = {"ballots_cast": 3, "eligible": 3, "classes": {"U01": {"XUAT_SAC": 3}, "U02": {"XUAT_SAC": 1, "TOT": 1}},
             "leading_unit": {"U01": 2}}
    count = vote_count(session(tally), NAMES)
    assert (count["eligible"], count["cast"], count["valid"], count["invalid"], count["not_cast"]) == (3, 3, 3, 0, 0)
    assert count["quorum_met"] and count["decides"] and count["majority_rule"] == "more than 1/2"
    u01, u02, u03 = count["units"]
    assert u01["classes"]["XUAT_SAC"] == 3 and u01["class_by_vote"] == "XUAT_SAC" and u01["leading_passes"]
    assert u02["blank"] == 1 and u02["class_by_vote"] == "TOT"      # 2 of 3 say Tốt or better
    assert u03["blank"] == 3 and u03["class_by_vote"] is None
    assert count["leading_unit"] == {"blank": 1, "candidates": ["U01"], "elected": "U01"}


def test_a_vote_count_names_no_voter():
    tally = {"ballots_cast": 2, "eligible": 3, "classes": {"U01": {"TOT": 2}}, "leading_unit": {}}
    text = repr(vote_count(session(tally), NAMES))
    assert "voted" not in text and "voter" not in text


def test_a_withheld_tally_gives_only_the_totals_and_a_missed_quorum_decides_nothing():
    withheld = {"ballots_cast": 1, "eligible": 3, "classes": {}, "leading_unit": {}, "withheld": True,
                "class_totals": {"TOT": 2}}
    count = vote_count(session(withheld, rules_={"threshold": "2/3", "quorum": 0.2}), NAMES)
    assert count["withheld"] and count["units"] == [] and count["class_totals"] == {"TOT": 2}
    missed = vote_count(session({"ballots_cast": 1, "eligible": 3, "classes": {"U01": {"TOT": 1}},
                                 "leading_unit": {"U01": 1}}), NAMES)
    assert not missed["quorum_met"] and missed["units"][0]["class_by_vote"] is None
    assert missed["leading_unit"]["candidates"] == []


@pytest.mark.parametrize("found", [None, session(None, state="OPEN")])
def test_there_is_no_vote_count_before_the_vote_is_closed(found):
    with pytest.raises(VotingClosed):
        vote_count(found, NAMES)


RESULT = {"leader": "U01", "leader_status": "elected",
          "table": [{"unit": "U01", "class": "XUAT_SAC"}, {"unit": "U02", "class": "XUAT_SAC"},
                    {"unit": "U03", "class": "TOT"}]}


def ids():
    counter = itertools.count(1)
    return lambda: f"p{next(counter)}"


def test_the_default_rules_propose_the_flag_for_the_elected_leader_and_a_certificate_for_each_excellent_unit():
    drafts = rules.draft(RESULT, None, RUN, NAMES, NOW, ids())
    assert [(d["unit"], d["form"], d["level"]) for d in drafts] == [
        ("U01", "CO_THI_DUA", "MINISTRY"), ("U01", "BANG_KHEN", "PROVINCE"), ("U02", "BANG_KHEN", "PROVINCE")]
    assert all(d["state"] == "DRAFT" and d["origin"] == "rule" and d["source"] for d in drafts)


def test_a_provisional_leader_gets_no_flag_and_the_templates_rules_replace_the_default():
    own = [{"when": {"class": "TOT"}, "form": "GIAY_KHEN", "level": "DIRECTOR", "source": "Quy chế cụm, điều 9"}]
    drafts = rules.draft({**RESULT, "leader_status": "provisional"}, own, RUN, NAMES, NOW, ids())
    assert [(d["unit"], d["form"], d["source"]) for d in drafts] == [("U03", "GIAY_KHEN", "Quy chế cụm, điều 9")]
    assert rules.draft({**RESULT, "leader_status": "provisional"}, None, RUN, NAMES, NOW, ids())[0]["form"] \
        == "BANG_KHEN"


def test_a_drafts_reason_names_the_class_as_the_template_names_it_not_its_code():
    drafts = rules.draft(RESULT, None, RUN, NAMES, NOW, ids(), {"XUAT_SAC": "Xuất sắc", "TOT": "Tốt"})
    assert [d["reason"] for d in drafts[1:]] == ["Xếp loại Xuất sắc trong kỳ"] * 2


@pytest.mark.parametrize("bad, field", [
    ([{"when": {"class": "BEST"}, "form": "BANG_KHEN", "level": "PROVINCE", "source": "x"}], "proposal_rules[0].when.class"),
    ([{"when": {}, "form": "BANG_KHEN", "level": "PROVINCE", "source": "x"}], "proposal_rules[0].when"),
    ([{"when": {"leading_unit": True}, "form": "CO_THI_DUA", "level": "DIRECTOR", "source": "x"}],
     "proposal_rules[0].level"),
    ([{"when": {"leading_unit": True}, "form": "CO_THI_DUA", "level": "MINISTRY"}], "proposal_rules[0].source"),
    ([{"when": {"leading_unit": True}, "form": "CO_THI_DUA", "level": "MINISTRY", "kind": "individual",
       "source": "x"}], "proposal_rules[0].kind"),
    ([], "proposal_rules"),
])
def test_rules_that_cannot_be_applied_are_refused_naming_the_field(bad, field):
    with pytest.raises(ValidationFailed) as caught:
        rules.check_rules(bad, LEVELS)
    assert field in caught.value.details["fields"]


def test_the_demo_template_is_checked_with_its_rules():
    from services.submissions import reference
    template = {**{k: v for k, v in demo_template().items() if k != "version"}, "proposal_rules": [{"when": {"class": "XUAT_SAC"}, "form": "BANG_KHEN",
                                                       "level": "PROVINCE", "source": "x"}]}
    assert reference.template(template)["proposal_rules"] == template["proposal_rules"]


FIELDS = {"kind": "individual", "unit": "U02", "recipient": "Nguyễn Văn A", "form": "CHIEN_SI_THI_DUA_CO_SO",
          "level": "DIRECTOR", "reason": "Hoàn thành xuất sắc nhiệm vụ"}


def added():
    proposal, event = Proposal.add(rules.clean_fields(FIELDS, set(MEMBERS)), RUN, LEAD, NOW, "p1")
    return proposal, event


def test_a_proposal_goes_from_draft_through_submission_to_a_decision_each_step_an_event():
    proposal, event = added()
    assert event.type == "proposal.drafted.v1" and event.data["award"] == "Chiến sĩ thi đua cơ sở Giám đốc Công an tỉnh"
    edited, event = proposal.edit({"recipient": "Nguyễn Văn B"}, RUN, 1)
    assert (edited.document["recipient"], edited.document["version"], event.type) == ("Nguyễn Văn B", 2,
                                                                                      "proposal.updated.v1")
    submitted, event = edited.submit(LEAD, NOW)
    assert submitted.document["state"] == "SUBMITTED" and event.type == "proposal.submitted.v1"
    approved, event = submitted.decide(True, None, OFFICE, NOW, 3)
    assert approved.document["decision"] == {"by": "trung", "at": NOW, "reason": None}
    assert event.type == "proposal.approved.v1"
    rejected, event = submitted.decide(False, "Chưa đủ tiêu chuẩn", OFFICE, NOW, 3)
    assert rejected.document["state"] == "REJECTED" and event.data["reason"] == "Chưa đủ tiêu chuẩn"


def test_each_guard_of_the_proposal():
    proposal, _ = added()
    submitted, _ = proposal.submit(LEAD, NOW)
    with pytest.raises(InvalidTransition):
        submitted.edit({"reason": "x"}, RUN, 2)
    with pytest.raises(InvalidTransition):
        submitted.submit(LEAD, NOW)
    with pytest.raises(InvalidTransition):
        proposal.decide(True, None, OFFICE, NOW, 1)                # not submitted yet
    with pytest.raises(Forbidden):
        submitted.decide(True, None, LEAD, NOW, 2)                 # only the standing office decides
    with pytest.raises(StaleVersion):
        submitted.decide(True, None, OFFICE, NOW, 1)
    with pytest.raises(ValidationFailed):
        submitted.decide(False, None, OFFICE, NOW, 2)              # a rejection says why
    with pytest.raises(InvalidTransition):
        Proposal.add(rules.clean_fields(FIELDS, set(MEMBERS)), {**RUN, "state": "VOTING"}, LEAD, NOW, "p2")


def test_who_proposes():
    rules.require_proposer(LEAD, CLUSTER, RUN)
    rules.require_proposer(CHAIR, CLUSTER, RUN)
    for caller in (OFFICER, OFFICE):
        with pytest.raises(Forbidden):
            rules.require_proposer(caller, CLUSTER, RUN)


def test_a_proposal_that_cannot_be_granted_is_refused():
    for change, field in (({"kind": "collective", "form": "CO_THI_DUA", "level": "PROVINCE", "unit": None}, "unit"),
                          ({"form": "CO_THI_DUA", "level": "PROVINCE"}, "kind"),
                          ({"unit": "U99"}, "unit"), ({"reason": " "}, "reason")):
        with pytest.raises(ValidationFailed) as caught:
            Proposal.add(rules.clean_fields({**FIELDS, **change}, set(MEMBERS)), RUN, LEAD, NOW, "p")
        assert field in caught.value.details["fields"]


def test_drafting_again_only_before_anything_was_submitted():
    rules.require_redraftable(RUN, [{"state": "DRAFT"}])
    with pytest.raises(Conflict):
        rules.require_redraftable(RUN, [{"state": "DRAFT"}, {"state": "SUBMITTED"}])
    with pytest.raises(InvalidTransition):
        rules.require_redraftable({**RUN, "state": "VOTING"}, [])


def test_the_rollup_counts_per_form_and_level_and_leaves_out_the_rejected():
    proposals = [{"form": "BANG_KHEN", "level": "PROVINCE", "kind": "collective", "state": "APPROVED"},
                 {"form": "BANG_KHEN", "level": "PROVINCE", "kind": "individual", "state": "SUBMITTED"},
                 {"form": "BANG_KHEN", "level": "PROVINCE", "kind": "collective", "state": "REJECTED"}]
    assert rules.rollup(proposals) == {"BANG_KHEN": {"PROVINCE": {"collective": 1, "individual": 1}}}
