from datetime import datetime, timezone

import pytest

from services.submissions.reports import is_late, total, validate_submission
from thidua.errors import ValidationFailed


def test_a_good_report_is_cleaned():
    clean = validate_submission({"unit": " U01 ", "period": "2021-Q1", "scores": {"TC1": 45, "TC2": 42.5}})
    assert clean == {"unit": "U01", "period": "2021-Q1", "scores": {"TC1": 45, "TC2": 42.5}}


@pytest.mark.parametrize("payload, field, hint", [
    ({"period": "2021-Q1", "scores": {"A": 1}}, "unit", "required"),
    ({"unit": 7, "period": "2021-Q1", "scores": {"A": 1}}, "unit", "string"),
    ({"unit": "U 1", "period": "2021-Q1", "scores": {"A": 1}}, "unit", "letters"),
    ({"unit": "U01", "scores": {"A": 1}}, "period", "required"),
    ({"unit": "U01", "period": "2021-Q1"}, "scores", "required"),
    ({"unit": "U01", "period": "2021-Q1", "scores": {}}, "scores", "non-empty"),
    ({"unit": "U01", "period": "2021-Q1", "scores": [1]}, "scores", "non-empty object"),
    ({"unit": "U01", "period": "2021-Q1", "scores": {"A": "5"}}, "scores.A", "number"),
    ({"unit": "U01", "period": "2021-Q1", "scores": {"A": True}}, "scores.A", "number"),
    ({"unit": "U01", "period": "2021-Q1", "scores": {"A": -1}}, "scores.A", "between"),
    ({"unit": "U01", "period": "2021-Q1", "scores": {"A": 1e9}}, "scores.A", "between"),
    ({"unit": "U01", "period": "2021-Q1", "scores": {"$gt": 1}}, "scores.$gt", "criterion codes"),
    ({"unit": "U01", "period": "2021-Q1", "scores": {"A": 1}, "extra": 1}, "extra", "unknown field"),
])
def test_each_bad_field_is_named_with_what_to_fix(payload, field, hint):
    with pytest.raises(ValidationFailed) as caught:
        validate_submission(payload)
    assert hint in caught.value.details["fields"][field]
    assert field in caught.value.message


def test_a_report_that_is_not_an_object_is_refused():
    with pytest.raises(ValidationFailed, match="JSON object"):
        validate_submission(["U01"])


def test_total_is_rounded_to_hundredths():
    assert total({"a": 0.1, "b": 0.2}) == 0.3
    assert total({"a": 45, "b": 42.5}) == 87.5


def test_late_means_after_the_deadline():
    deadline = datetime(2021, 4, 10, 10, tzinfo=timezone.utc)
    assert not is_late(deadline, deadline)
    assert is_late(datetime(2021, 4, 10, 10, 0, 1, tzinfo=timezone.utc), deadline)
    assert not is_late(datetime(2030, 1, 1, tzinfo=timezone.utc), None)
