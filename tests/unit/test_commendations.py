"""The commendation vocabulary: titles, named recipients, counts left unsplit (lượt), and a
criterion that counts the report's commendations."""
import copy

import pytest

from services.ranking.engine import compute
from services.submissions.reports import commendation_totals, validate_content
from thidua.criteria import TemplateInvalid, validate_template
from thidua.errors import Problems, ValidationFailed
from tests.helpers import demo_template


def clean(commendations):
    problems = Problems()
    result = validate_content({"commendations": commendations}, demo_template(), problems)
    problems.raise_if_any("The report")
    return result["commendations"]


def refused(commendation):
    with pytest.raises(ValidationFailed) as caught:
        clean([commendation])
    return caught.value.details["fields"]


def test_an_old_commendation_keeps_its_meaning_and_gains_its_kind():
    [entry] = clean([{"form": "GIAY_KHEN", "level": "DIRECTOR", "collective": False, "count": 3}])
    assert (entry["kind"], entry["collective"], entry["count"]) == ("individual", False, 3)


def test_a_title_with_named_recipients_counts_them():
    [entry] = clean([{"form": "CHIEN_SI_THI_DUA_CO_SO", "level": "DIRECTOR", "kind": "individual",
                      "recipients": ["Nguyễn Văn A", "Trần Thị B"]}])
    assert entry["count"] == 2 and entry["recipients"] == ["Nguyễn Văn A", "Trần Thị B"]


def test_a_count_may_stay_unsplit_between_collectives_and_individuals():
    [entry] = clean([{"form": "BIEU_DUONG", "level": "DIRECTOR", "kind": "mixed", "count": 19}])
    assert entry["kind"] == "mixed" and entry["collective"] is None
    totals = commendation_totals([{"commendations": [entry, {**entry, "kind": "collective", "count": 1}]}])
    assert totals == {"BIEU_DUONG": {"DIRECTOR": {"collective": 1, "individual": 0, "mixed": 19}}}


@pytest.mark.parametrize("commendation, field, says", [
    ({"form": "CO_THI_DUA", "level": "PROVINCE", "kind": "individual"}, "commendations[0].kind", "collectives only"),
    ({"form": "CHIEN_SI_TIEN_TIEN", "level": "DIRECTOR", "collective": True}, "commendations[0].kind",
     "individuals only"),
    ({"form": "CO_THI_DUA", "level": "DIRECTOR", "collective": True}, "commendations[0].level", "comes from"),
    ({"form": "GIAY_KHEN", "level": "DIRECTOR", "kind": "both"}, "commendations[0].kind", "mixed"),
    ({"form": "GIAY_KHEN", "level": "DIRECTOR", "kind": "mixed", "collective": True},
     "commendations[0].collective", "does not agree"),
    ({"form": "GIAY_KHEN", "level": "DIRECTOR", "kind": "individual", "recipients": ["A"], "count": 2},
     "commendations[0].count", "does not match"),
    ({"form": "GIAY_KHEN", "level": "DIRECTOR", "kind": "individual", "recipients": "A"},
     "commendations[0].recipients", "a list"),
])
def test_each_bad_commendation_is_named(commendation, field, says):
    assert says in refused(commendation)[field]


def with_derived(wanted):
    template = copy.deepcopy(demo_template())
    criterion = next(c for g in template["groups"] for c in g["criteria"] if c["type"] == "per_occurrence")
    criterion["from_commendations"] = wanted
    return template, criterion["code"]


def test_a_criterion_counts_the_reports_commendations_matching_its_filter():
    template, code = with_derived({"form": "BANG_KHEN", "kind": ["collective", "mixed"]})
    report = {"unit": "U01", "values": {code: {"count": 0}}, "commendations": [
        {"form": "BANG_KHEN", "level": "MINISTRY", "collective": True, "count": 3},
        {"form": "BANG_KHEN", "level": "PROVINCE", "collective": False, "count": 4},
        {"form": "GIAY_KHEN", "level": "DIRECTOR", "kind": "mixed", "count": 5},
        {"form": "BANG_KHEN", "level": "PROVINCE", "kind": "mixed", "count": 2}]}
    [row] = compute(template, [report])["table"]
    line = next(line for line in row["breakdown"] if line["criterion"] == code)
    assert line["inputs"] == {"count": 5}     # 3 collective + 2 mixed Bằng khen; the unit's 0 is not used


def test_a_filter_that_cannot_be_read_is_refused_in_the_template():
    template, _ = with_derived({"colour": "red"})
    with pytest.raises(TemplateInvalid, match="from_commendations"):
        validate_template(template)
