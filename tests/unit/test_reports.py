from datetime import datetime, timezone

import pytest

from thidua.errors import Problems
from services.submissions.reports import (commendation_totals, is_late, self_total, validate_content,
                                          validate_identity, validate_review)
from thidua.errors import ValidationFailed
from tests.helpers import demo_template

TEMPLATE = demo_template()


def content(payload):
    problems = Problems()
    clean = validate_content(payload, TEMPLATE, problems)
    problems.raise_if_any("The report")
    return clean


def problems_of(payload, check=validate_content):
    with pytest.raises(ValidationFailed) as caught:
        content(payload) if check is validate_content else check(payload)
    return caught.value.details["fields"]


def test_a_full_report_is_cleaned_and_normalised():
    decomposed = "Pho\u0300ng"  # "Phòng" with a combining grave accent
    clean = content({
        "values": {"C1.1": {"actual": 98.5}, "C2.1": {"passed": True}, "C2.3": {"count": 4}, "P1": {"points": 2}},
        "self_scores": {"C1.1": 9.5, "P1": -2},
        "sections": {"professional": f" {decomposed} Tham mưu "},
        "commendations": [{"form": "BANG_KHEN", "level": "MINISTRY", "collective": True, "count": 2,
                           "decision_no": "123/QĐ-BCA", "decision_date": "2021-03-01"}],
        "violations": [{"severity": 2, "description": "Đi muộn"}],
    })
    assert clean["sections"]["professional"] == "Phòng Tham mưu"
    assert clean["values"]["C2.3"] == {"count": 4}
    assert clean["commendations"][0]["count"] == 2
    assert clean["violations"] == [{"severity": 2, "description": "Đi muộn", "date": None}]


@pytest.mark.parametrize("payload, field, hint", [
    ({"values": {"C9": {"actual": 1}}}, "values.C9", "unknown criterion"),
    ({"values": {"C1.1": {"passed": True}}}, "values.C1.1", "{\"actual\": ...}"),
    ({"values": {"C1.1": {"actual": "90"}}}, "values.C1.1", "number"),
    ({"values": {"C1.1": {"actual": -1}}}, "values.C1.1", "from 0"),
    ({"values": {"C2.1": {"passed": 1}}}, "values.C2.1", "true or false"),
    ({"values": {"C2.3": {"count": 2.5}}}, "values.C2.3", "whole number"),
    ({"values": "all good"}, "values", "object"),
    ({"self_scores": {"C1.1": 21}}, "self_scores.C1.1", "between 0 and 20"),
    ({"self_scores": {"P1": 5}}, "self_scores.P1", "between -20 and 0"),
    ({"self_scores": {"C1.1": True}}, "self_scores.C1.1", "number"),
    ({"self_scores": {"X": 1}}, "self_scores.X", "unknown criterion"),
    ({"sections": {"poetry": "…"}}, "sections.poetry", "unknown section"),
    ({"sections": {"movement": "x" * 20_001}}, "sections.movement", "at most"),
    ({"commendations": [{"form": "HUAN_CHUONG", "level": "GOVERNMENT", "collective": True}]},
     "commendations[0].form", "one of"),
    ({"commendations": [{"form": "GIAY_KHEN", "level": "GOVERNMENT", "collective": True}]},
     "commendations[0].level", "DIRECTOR"),
    ({"commendations": [{"form": "GIAY_KHEN", "level": "DIRECTOR", "collective": "yes"}]},
     "commendations[0].collective", "true for a collective"),
    ({"commendations": [{"form": "GIAY_KHEN", "level": "DIRECTOR", "collective": True, "count": 0}]},
     "commendations[0].count", "1 to 10000"),
    ({"commendations": [{"form": "GIAY_KHEN", "level": "DIRECTOR", "collective": True,
                         "decision_date": "15/03/2021"}]}, "commendations[0].decision_date", "2021-03-15"),
    ({"violations": [{"severity": 5, "description": "x"}]}, "violations[0].severity", "1 (least)"),
    ({"violations": [{"severity": 1}]}, "violations[0].description", "required"),
    ({"violations": [{"severity": 1, "description": "x", "$where": "1"}]}, "violations[0].$where", "unknown"),
])
def test_each_bad_field_is_named_with_what_to_fix(payload, field, hint):
    assert hint in problems_of(payload)[field]


def test_identity_codes_are_checked():
    problems = Problems()
    validate_identity({"unit": "U 1", "period": {"$ne": 1}}, problems)
    assert set(problems.fields) == {"unit", "period"}
    with pytest.raises(ValidationFailed):
        validate_identity(["U01"], Problems())


def test_a_review_scores_known_criteria_within_their_range():
    problems = Problems()
    clean = validate_review({"C1.1": {"points": 18, "comment": "Đạt"}}, TEMPLATE, problems)
    assert clean == {"C1.1": {"points": 18, "comment": "Đạt"}} and not problems.fields
    validate_review({"C1.1": {"points": 25}, "ZZ": {"points": 1}, "C2.1": 3}, TEMPLATE, problems)
    assert set(problems.fields) == {"review.C1.1.points", "review.ZZ", "review.C2.1"}


def test_self_total_is_rounded_to_hundredths():
    assert self_total({"a": 0.1, "b": 0.2}) == 0.3
    assert self_total({}) == 0


def test_late_means_after_the_deadline():
    deadline = datetime(2021, 4, 10, 10, tzinfo=timezone.utc)
    assert not is_late(deadline, deadline)
    assert is_late(datetime(2021, 4, 10, 10, 0, 1, tzinfo=timezone.utc), deadline)
    assert not is_late(datetime(2030, 1, 1, tzinfo=timezone.utc), None)


def test_commendation_totals_add_up_by_form_level_and_kind():
    reports = [{"commendations": [{"form": "BANG_KHEN", "level": "MINISTRY", "collective": True, "count": 3}]},
               {"commendations": [{"form": "BANG_KHEN", "level": "MINISTRY", "collective": True, "count": 7},
                                  {"form": "BANG_KHEN", "level": "MINISTRY", "collective": False, "count": 2}]}]
    assert commendation_totals(reports) == {"BANG_KHEN": {"MINISTRY": {"collective": 10, "individual": 2}}}


def test_evidence_must_be_an_allowed_type_whose_content_matches():
    from services.submissions import evidence
    facts = evidence.check("Báo cáo.pdf", "application/pdf", b"%PDF-1.7 ...")
    assert facts["size"] == 12 and len(facts["sha256"]) == 64
    for name, kind, data, field in [
        ("x.exe", "application/x-msdownload", b"MZ", "content_type"),
        ("x.pdf", "application/pdf", b"<html>", "content"),
        ("x.pdf", "application/pdf", b"", "content"),
        ("../x.pdf", "application/pdf", b"%PDF-", "name"),
        ("x.pdf", "application/pdf", b"%PDF-" + b"0" * evidence.MAX_BYTES, "content"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            evidence.check(name, kind, data)
        assert field in caught.value.details["fields"]
