"""Who may do what (domain/access.py) and what of a person is public (domain/people.py):
pure, no broker, no database."""
from datetime import datetime, timedelta, timezone

import pytest

from services.submissions.domain import access, people
from thidua.caller import Caller
from thidua.errors import Forbidden

CLUSTER = {"_id": "CUM-01", "name": "Cụm thi đua số 1",
           "members": [{"unit": "U01", "role": "lead"}, {"unit": "U02", "role": "deputy"},
                       {"unit": "U03", "role": "member"}]}
OFFICER_U01 = Caller("o1", "unit_officer", "U01")
OFFICER_U03 = Caller("o3", "unit_officer", "U03")
LEADER_U01 = Caller("l1", "unit_leader", "U01")
LEADER_U02 = Caller("l2", "unit_leader", "U02")
LEADER_U03 = Caller("l3", "unit_leader", "U03")
ADMIN = Caller("admin", "administrator")
OFFICE = Caller("office", "standing_office")
PROVINCE = Caller("p", "provincial_leader")
SYSTEM = Caller("system:tool", "system")
EVERYONE = (OFFICER_U01, OFFICER_U03, LEADER_U01, LEADER_U02, LEADER_U03, ADMIN, OFFICE, PROVINCE, SYSTEM,
            Caller.ANONYMOUS)


def allowed(rule, *args):
    """The callers ``rule`` lets through (a ``require_*`` rule raises Forbidden for the others)."""
    passed = set()
    for caller in EVERYONE:
        try:
            rule(caller, *args)
        except Forbidden as refused:
            assert refused.message.startswith("Only")   # says who may
        else:
            passed.add(caller)
    return passed


def test_only_the_units_own_people_act_for_its_report():
    assert allowed(access.require_report_actor, "submit", {"unit": "U03"}, CLUSTER) == {OFFICER_U03, LEADER_U03}


@pytest.mark.parametrize("action", ["return", "review", "finalize"])
def test_only_leaders_of_the_lead_and_deputy_units_review(action):
    assert allowed(access.require_report_actor, action, {"unit": "U03"}, CLUSTER) == {LEADER_U01, LEADER_U02}


def test_periods_are_moved_by_the_administrator_or_the_standing_office():
    assert allowed(access.require_period_manager) == {ADMIN, OFFICE}


def test_reference_data_is_loaded_by_an_administrator_or_an_operators_tool():
    assert allowed(access.require_loader) == {ADMIN, SYSTEM}
    assert allowed(access.require_admin, "change units") == {ADMIN}


def test_a_draft_is_read_only_by_its_units_people_a_handed_in_report_by_anyone():
    draft, handed_in = {"unit": "U03", "status": "DRAFT"}, {"unit": "U03", "status": "SUBMITTED"}
    assert {c for c in EVERYONE if access.may_read_report(c, draft)} == {OFFICER_U03, LEADER_U03, ADMIN, SYSTEM}
    assert all(access.may_read_report(c, handed_in) for c in EVERYONE)


def test_only_member_units_people_vote():
    assert allowed(access.require_voter, CLUSTER) == {OFFICER_U01, OFFICER_U03, LEADER_U01, LEADER_U02, LEADER_U03}


def test_the_cluster_lead_opens_and_closes_votes():
    assert allowed(access.require_cluster_lead, CLUSTER, "open its vote") == {LEADER_U01, LEADER_U02}
    assert access.leading_units(CLUSTER) == ["U01", "U02"]


def test_a_password_is_set_by_its_person_or_an_administrator():
    assert allowed(access.require_password_setter, "o3") == {OFFICER_U03, ADMIN, SYSTEM}


def test_evidence_is_attached_by_the_units_people():
    assert allowed(access.require_unit_officer, "U01", "attach its evidence") == {OFFICER_U01, LEADER_U01}


NOW = datetime(2021, 4, 1, tzinfo=timezone.utc)
PERSON = {"_id": "o3", "name": "Cán bộ", "role": "unit_officer", "unit": "U03", "password_hash": "$argon2id$x",
          "failed_logins": 2, "locked_until": None}


def test_the_account_fields_never_show():
    assert people.without_account(PERSON) == {"_id": "o3", "name": "Cán bộ", "role": "unit_officer", "unit": "U03"}
    assert "password_hash" not in people.for_audit(PERSON) and people.for_audit(PERSON)["failed_logins"] == 2


def test_reloaded_reference_data_keeps_the_account():
    clean = people.without_account({**PERSON, "name": "Cán bộ mới"})
    assert people.with_account_of(clean, PERSON) == {**PERSON, "name": "Cán bộ mới"}
    assert people.with_account_of(clean, None) == clean


def test_the_fifth_wrong_password_locks_the_account_and_a_right_one_clears_the_count():
    person = PERSON
    for _ in range(2):
        person = people.after_login(person, False, NOW)
        assert not people.locked(person, NOW)
    assert person["failed_logins"] == 4
    locked = people.after_login(person, False, NOW)
    assert locked["locked_until"] == NOW + timedelta(minutes=15) and locked["failed_logins"] == 0
    assert people.locked(locked, NOW) and not people.locked(locked, NOW + timedelta(minutes=16))
    assert people.after_login(person, True, NOW)["failed_logins"] == 0
    assert people.with_password(locked, "h") == {**locked, "password_hash": "h", "locked_until": None}


DETAIL_READERS = {OFFICER_U03, LEADER_U03, LEADER_U01, LEADER_U02, ADMIN, OFFICE, PROVINCE, SYSTEM}
REPORT_U03 = {"unit": "U03", "status": "SUBMITTED", "cluster": "CUM-01",
              "violations": [{"severity": 3, "description": "khiển trách một cán bộ"}],
              "evidence": [{"file_id": "f1", "name": "bien-ban.pdf"}]}


def test_discipline_details_are_read_by_the_unit_its_cluster_lead_the_office_leaders_and_administrators():
    assert {c for c in EVERYONE if access.may_read_details(c, REPORT_U03, CLUSTER)} == DETAIL_READERS
    draft = {**REPORT_U03, "status": "DRAFT"}
    assert {c for c in EVERYONE if access.may_read_details(c, draft, CLUSTER)} == {OFFICER_U03, LEADER_U03, ADMIN,
                                                                                  SYSTEM}


def test_others_see_a_report_with_each_violations_severity_and_no_evidence():
    assert access.as_read_by(LEADER_U01, REPORT_U03, CLUSTER) is REPORT_U03
    seen = access.as_read_by(OFFICER_U01, REPORT_U03, CLUSTER)   # the lead unit's officer, not its leader
    assert seen["violations"] == [{"severity": 3}] and seen["evidence"] == [] and seen["details_withheld"]
    assert "khiển trách" not in str(seen) and "bien-ban" not in str(seen)
    assert REPORT_U03["violations"][0]["description"]   # the stored report is untouched


def test_an_evidence_file_is_read_by_its_unit_administrators_and_who_may_read_the_details_of_its_reports():
    assert {c for c in EVERYONE if access.may_read_evidence(c, "U03", [(REPORT_U03, CLUSTER)])} == DETAIL_READERS
    only_in_a_draft = [({**REPORT_U03, "status": "DRAFT"}, CLUSTER)]
    assert {c for c in EVERYONE if access.may_read_evidence(c, "U03", only_in_a_draft)} == \
        {OFFICER_U03, LEADER_U03, ADMIN, SYSTEM}
    assert {c for c in EVERYONE if access.may_read_evidence(c, "U03", [])} == {OFFICER_U03, LEADER_U03, ADMIN, SYSTEM}
