import pytest

from services.notifications.messages import period_label, points, render
from tests.helpers import report_event


@pytest.mark.parametrize("code, label", [
    ("2021-Q1", "Quý I/2021"), ("2021-Q4", "Quý IV/2021"), ("2021-H1", "6 tháng đầu năm 2021"),
    ("2021-H2", "6 tháng cuối năm 2021"), ("2021", "Năm 2021"), ("special", "special"),
])
def test_period_labels_are_vietnamese(code, label):
    assert period_label(code) == label


def test_points_use_a_decimal_comma():
    assert points(87.5) == "87,5"
    assert points(91) == "91"
    assert points(90.25) == "90,25"


def test_a_submitted_report_tells_unit_period_and_score():
    event = report_event(unit="U04")
    event["data"].update(late=True, self_scores={"C1.1": 20, "C2.1": 5, "P1": -3.5})
    kind, title, body, link = render(event)
    assert kind == "report.submitted"
    assert title == "Unit U04 đã nộp báo cáo Quý I/2021 (nộp muộn)"
    assert "tổng điểm tự chấm 21,5" in body
    assert link == f"/api/v1/reports/{event['data']['report_id']}"


def test_a_new_leader_is_in_the_title():
    event = {"type": "ranking.updated.v1", "data": {
        "cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "period": "2021-Q1", "version": 2,
        "table": [{"rank": 1, "unit": "U04", "unit_name": "Phòng Hậu cần", "total": 91, "late": False}],
        "leader": "U04", "previous_leader": "U02", "leader_changed": True}}
    kind, title, body, _ = render(event)
    assert title == "Cụm thi đua số 1 Quý I/2021: Phòng Hậu cần dẫn đầu"
    assert "phiên bản 2" in body and "Đơn vị dẫn đầu: Phòng Hậu cần." in body


def test_a_resubmitted_report_says_so():
    _, title, _, _ = render(report_event(unit="U04", event_type="report.resubmitted.v1", status="RESUBMITTED"))
    assert title == "Unit U04 đã nộp lại báo cáo Quý I/2021"


def test_an_event_nobody_needs_to_hear_renders_nothing():
    assert render({"type": "something.else.v1", "data": {"period": "2021-Q1", "cluster": "X"}}) is None
    assert render({"type": "template.published.v1", "data": {"template": {}}}) is None
