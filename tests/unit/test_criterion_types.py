"""The criterion type registry: the template check, the report validator, the engine and the
pages' document all read it, so a new type is one module plus its registration. The new type
here ("percentage") is written in the test exactly as docs/extending.md shows it."""
import copy
import json

import pytest

import thidua.criterion_types as criterion_types
from services.ranking.engine import compute
from services.submissions.reports import validate_content, validate_review
from thidua.criteria import TemplateInvalid, score_range, validate_template
from thidua.criterion_types.base import CriterionType, Setting, Value, fmt
from thidua.errors import Problems
from tests.helpers import demo_template
from tests.unit.test_gateway_routes import forwarded, gateway, web_session  # noqa: F401 (fixtures)


class Percentage(CriterionType):
    """Share of a plan carried out: max points at ``full_at`` percent, proportionally below."""

    name = "percentage"
    label = "Tỷ lệ hoàn thành"
    rule = "max*min(percent, full_at)/full_at; full_at defaults to 100."
    hint = "Tối đa {max} điểm khi đạt {full_at}%"
    settings = {"full_at": Setting("number", "the percent that earns full marks", minimum=0, exclusive=True,
                                   default=100)}
    value = Value("percent", "number")

    def score(self, criterion, percent, best):
        top, full = float(criterion["max"]), criterion.get("full_at", 100)
        points = top * min(percent, full) / full
        return points, f"{fmt(top)}*min({fmt(percent)}, {fmt(full)})/{fmt(full)} = {fmt(points)}"


@pytest.fixture
def percentage():
    kind = criterion_types.register(Percentage())
    yield kind
    criterion_types.unregister(kind.name)


def with_percentage(**settings):
    template = copy.deepcopy(demo_template())
    template["groups"][0]["criteria"].append({"code": "C1.P", "name": "Tỷ lệ kế hoạch", "type": "percentage",
                                              "max": 4, "source": "test", **settings})
    return template


def test_every_builtin_type_is_registered_with_its_document():
    document = criterion_types.document()
    assert [item["type"] for item in document["items"]] == ["target", "pass_fail", "per_occurrence", "bonus",
                                                           "penalty"]
    target = document["items"][0]
    assert target["value"] == {"key": "actual", "kind": "number", "shape": '{"actual": number}', "minimum": 0,
                               "maximum": 1_000_000_000}
    assert target["settings"]["target"] == {"kind": "number", "required": True, "exclusive_minimum": 0,
                                            "description": target["settings"]["target"]["description"]}
    assert target["score"] == {"bound": ["max"], "negative": False, "cluster_relative": True}
    assert document["items"][-1]["score"] == {"bound": ["cap", "max"], "negative": True, "cluster_relative": False}
    assert set(document["common"]) == {"code", "name", "type", "max", "source"}
    json.dumps(document)    # the API answers it as it is


def test_the_documents_bound_gives_the_same_range_as_the_type():
    # The pages compute a criterion's range from "bound" and "negative": it must agree with Python's.
    for item in criterion_types.document()["items"]:
        for criterion in ({"type": item["type"], "max": 8}, {"type": item["type"], "max": 8, "cap": 3}):
            top = float(next(criterion[key] for key in item["score"]["bound"] if key in criterion))
            expected = (-top, 0.0) if item["score"]["negative"] else (0.0, top)
            assert score_range(criterion) == expected


def test_a_type_is_registered_once():
    with pytest.raises(ValueError, match="already registered"):
        criterion_types.register(criterion_types.get("target"))
    with pytest.raises(TypeError):
        criterion_types.register(object())


def test_an_unregistered_type_is_refused_in_a_template():
    with pytest.raises(TemplateInvalid, match="unknown type 'percentage'"):
        validate_template(with_percentage())


def test_a_new_type_is_checked_in_the_template_by_its_settings(percentage):
    assert validate_template(with_percentage(full_at=80))
    with pytest.raises(TemplateInvalid, match="'full_at' must be > 0"):
        validate_template(with_percentage(full_at=0))
    with pytest.raises(TemplateInvalid, match="'cap' is not a setting of a percentage criterion"):
        validate_template(with_percentage(cap=2))


def test_a_new_type_shapes_the_units_value_and_the_score_range(percentage):
    template = with_percentage()
    problems = Problems()
    clean = validate_content({"values": {"C1.P": {"percent": 75}}, "self_scores": {"C1.P": 3}}, template, problems)
    assert clean["values"]["C1.P"] == {"percent": 75} and not problems.fields
    validate_content({"values": {"C1.P": {"actual": 75}}, "self_scores": {"C1.P": 5}}, template, problems)
    assert problems.fields == {"values.C1.P": 'must be {"percent": ...} for a percentage criterion',
                               "self_scores.C1.P": "must be between 0 and 4"}
    validate_review({"C1.P": {"points": 4.5}}, template, problems)
    assert "review.C1.P.points" in problems.fields


def test_the_engine_scores_a_new_type(percentage):
    template = with_percentage(full_at=80)
    reports = [{"unit": "A", "values": {"C1.P": {"percent": 60}}},
               {"unit": "B", "values": {"C1.P": {"percent": 95}}, "review": {"C1.P": {"points": 9}}},
               {"unit": "C", "values": {"C1.P": {"percent": "most"}}}]
    table = {row["unit"]: row for row in compute(template, reports)["table"]}
    line = {unit: next(x for x in row["breakdown"] if x["criterion"] == "C1.P") for unit, row in table.items()}
    assert (line["A"]["computed"], line["A"]["formula"]) == (3.0, "4*min(60, 80)/80 = 3")
    assert line["A"]["inputs"] == {"percent": 60} and line["A"]["type"] == "percentage"
    assert (line["B"]["computed"], line["B"]["final"]) == (4.0, 4.0)     # a review is kept within the range
    assert (line["C"]["computed"], line["C"]["reason"]) == (0.0, 'wrong type: expected {"percent": number}')


def test_a_template_scored_before_its_type_was_removed_is_refused_after(percentage):
    """The engine keeps a template's checked rules (services/ranking/engine.py, _rules), but not past
    the removal of one of its types."""
    template, reports = with_percentage(), [{"unit": "A", "values": {"C1.P": {"percent": 60}}}]
    assert compute(template, reports)["table"][0]["unit"] == "A"
    criterion_types.unregister(percentage.name)
    with pytest.raises(TemplateInvalid, match="unknown type 'percentage'"):
        compute(template, reports)


def test_the_api_document_describes_a_new_type(percentage, gateway, web_session):
    gateway(DEMO_MODE="true")
    assert web_session.get("/api/v1/criterion-types").status_code == 401      # like every read: signed in
    response = web_session.get("/api/v1/criterion-types", headers={"X-Actor": "canbo.u02"})
    assert response.status_code == 200
    assert [i["type"] for i in response.json()["items"]][-1] == "percentage"
    item = next(i for i in response.json()["items"] if i["type"] == "percentage")
    assert item == {"type": "percentage", "label": "Tỷ lệ hoàn thành", "rule": Percentage.rule,
                    "hint": "Tối đa {max} điểm khi đạt {full_at}%",
                    "settings": {"full_at": {"kind": "number", "required": False, "exclusive_minimum": 0,
                                             "default": 100, "description": "the percent that earns full marks"}},
                    "value": {"key": "percent", "kind": "number", "shape": '{"percent": number}', "minimum": 0,
                              "maximum": 1_000_000_000},
                    "score": {"bound": ["max"], "negative": False, "cluster_relative": False}}


@pytest.mark.parametrize("kind", [None, ["target"], {"name": "target"}, 3])
def test_a_type_that_is_not_a_registered_name_is_refused_with_the_list(kind):
    template = copy.deepcopy(demo_template())
    template["groups"][0]["criteria"][0]["type"] = kind
    with pytest.raises(TemplateInvalid, match="expected one of: bonus, pass_fail, penalty, per_occurrence, target"):
        validate_template(template)
