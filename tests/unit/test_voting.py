import pytest

from services.submissions.voting import ballot_token, spent_mark, tally, validate_ballot
from thidua.errors import Forbidden, ValidationFailed

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


def test_fewer_ballots_than_the_minimum_give_only_the_totals_per_class():
    ballots = [{"classes": {"U01": "TOT", "U02": "KHA"}, "leading_unit": "U01"},
               {"classes": {"U01": "TOT"}, "leading_unit": None}]
    assert tally(ballots, 3, minimum=3) == {"ballots_cast": 2, "eligible": 3, "classes": {}, "leading_unit": {},
                                            "withheld": True, "minimum": 3, "class_totals": {"TOT": 2, "KHA": 1}}
    assert tally(ballots, 3, minimum=2)["classes"] == {"U01": {"TOT": 2}, "U02": {"KHA": 1}}


def test_a_ballot_token_is_the_units_own_for_this_vote_and_its_mark_names_no_one():
    key = "k" * 40
    token = ballot_token(key, "s-1", "U01")
    assert token == ballot_token(key, "s-1", "U01") != ballot_token(key, "s-1", "U02") != ballot_token(key, "s-2", "U01")
    mark = spent_mark(key, "s-1", token)
    assert "U01" not in mark and token.split(".")[0] not in mark
    for forged in (token[:-1] + ("0" if token[-1] != "0" else "1"), "x", token.split(".")[0], ""):
        with pytest.raises(Forbidden):
            spent_mark(key, "s-1", forged)
    with pytest.raises(Forbidden):
        spent_mark("j" * 40, "s-1", token)
