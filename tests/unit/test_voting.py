import pytest

from services.submissions.voting import tally, validate_ballot
from thidua.errors import ValidationFailed

MEMBERS = {"U01", "U02", "U03"}
LEVELS = ["XUAT_SAC", "TOT", "KHA"]


def test_a_ballot_names_classes_and_a_leading_unit():
    assert validate_ballot({"classes": {"U01": "TOT"}, "leading_unit": "U02"}, MEMBERS, LEVELS) == {
        "classes": {"U01": "TOT"}, "leading_unit": "U02"}


@pytest.mark.parametrize("ballot, field", [
    ({"classes": {"U09": "TOT"}}, "classes.U09"),
    ({"classes": {"U01": "GIOI"}}, "classes.U01"),
    ({"leading_unit": "U09"}, "leading_unit"),
    ({}, "ballot"),
    ({"classes": {}, "voter": "U01"}, "voter"),
    ({"classes": ["U01"]}, "classes"),
])
def test_a_bad_ballot_is_refused_naming_what_to_fix(ballot, field):
    with pytest.raises(ValidationFailed) as caught:
        validate_ballot(ballot, MEMBERS, LEVELS)
    assert field in caught.value.details["fields"]


def test_the_tally_counts_each_choice():
    ballots = [{"classes": {"U01": "TOT", "U02": "KHA"}, "leading_unit": "U01"},
               {"classes": {"U01": "TOT"}, "leading_unit": None},
               {"classes": {"U01": "XUAT_SAC"}, "leading_unit": "U01"}]
    assert tally(ballots, 3) == {"ballots_cast": 3, "eligible": 3,
                                 "classes": {"U01": {"TOT": 2, "XUAT_SAC": 1}, "U02": {"KHA": 1}},
                                 "leading_unit": {"U01": 2}}
