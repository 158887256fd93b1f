"""The template contract as submissions applies it when a template is published
(the engine's own tests cover every structural refusal)."""
import copy

import pytest

from services.submissions.reference import template as publishable
from thidua.criteria import TemplateInvalid, level_codes, score_range, validate_template
from thidua.errors import ValidationFailed
from tests.helpers import demo_content, demo_template


def test_the_demo_template_is_valid():
    contract = validate_template(demo_template())
    assert contract.levels == level_codes(demo_template()) == ["XUAT_SAC", "TOT", "KHA", "TRUNG_BINH", "YEU"]
    assert [code for code, _, _ in contract.criteria][:3] == ["C1.1", "C1.2", "C1.3"]


def test_a_criterion_setting_of_another_type_is_refused():
    template = copy.deepcopy(demo_template())
    template["groups"][0]["criteria"][0]["points_per"] = 2
    with pytest.raises(TemplateInvalid, match="'points_per' is not a setting of a target criterion"):
        validate_template(template)


def test_score_ranges_follow_the_type():
    assert score_range({"type": "target", "max": 20}) == (0.0, 20.0)
    assert score_range({"type": "penalty", "max": 20, "cap": 10}) == (-10.0, 0.0)
    assert score_range({"type": "per_occurrence", "max": 10, "points_per": 1, "cap": 6}) == (0.0, 6.0)


@pytest.mark.parametrize("change, field", [
    (lambda t: t.pop("id"), "id"),
    (lambda t: t.update(name=""), "name"),
    (lambda t: t.update(owner="me"), "owner"),
])
def test_publishing_needs_an_id_and_a_name_and_no_unknown_fields(change, field):
    payload = copy.deepcopy(demo_content()["templates"][0])
    change(payload)
    with pytest.raises(ValidationFailed) as caught:
        publishable(payload)
    assert field in caught.value.details["fields"]


def test_a_structural_problem_is_a_validation_error_that_says_what_to_change():
    payload = copy.deepcopy(demo_content()["templates"][0])
    payload["classification"]["levels"][1]["min"] = 95
    with pytest.raises(ValidationFailed, match="strictly descending"):
        publishable(payload)


@pytest.mark.parametrize("where", ["max", "target", "min"])
def test_a_template_number_must_be_finite(where):
    template = copy.deepcopy(demo_template())
    if where == "min":
        template["classification"]["levels"][0]["min"] = float("inf")
    else:
        template["groups"][0]["criteria"][0][where] = float("inf")
    with pytest.raises(TemplateInvalid):
        validate_template(template)
