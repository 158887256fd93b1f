import pytest

from services.notifications.messages import period_label, points, when


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


def test_times_are_shown_in_vietnam_time():
    assert when("2021-04-10T10:00:00.000Z") == "17:00 ngày 10/04/2021"
