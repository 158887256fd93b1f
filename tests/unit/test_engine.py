"""The scoring engine (services/ranking/engine.py): worked examples computed by hand, then properties."""
import ast
import copy
import gc
import hashlib
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from services.ranking import engine
from services.ranking.engine import RULE_VERSION, compute, diff, input_hash, validate_template

LEVELS = [{"code": "XUAT_SAC", "name": "Xuất sắc", "min": 90}, {"code": "TOT", "name": "Tốt", "min": 80},
          {"code": "KHA", "name": "Khá", "min": 65}, {"code": "TRUNG_BINH", "name": "Trung bình", "min": 50},
          {"code": "YEU", "name": "Yếu", "min": 0}]
CAPS = [{"min_severity": 2, "max_level": "KHA"}, {"min_severity": 3, "max_level": "TRUNG_BINH"}]


def template(groups, threshold=0.5, quorum=0.5):
    return {"id": "TPL-1", "version": 3, "groups": groups,
            "classification": {"levels": copy.deepcopy(LEVELS), "discipline_caps": copy.deepcopy(CAPS)},
            "voting": {"threshold": threshold, "quorum": quorum}}


def full_template(**voting):
    """One criterion of every type, scales small enough to compute by hand."""
    return template([
        {"code": "G1", "name": "Kết quả công tác chuyên môn", "criteria": [
            {"code": "C1", "name": "Tỷ lệ điều tra làm rõ", "type": "target", "max": 20, "target": 80,
             "source": "Kế hoạch 12/KH-CTK"},
            {"code": "C2", "name": "Số vụ phạm pháp hình sự", "type": "target", "max": 10, "target": 100,
             "higher_is_better": False}]},
        {"code": "G2", "name": "Phong trào, xây dựng lực lượng", "criteria": [
            {"code": "C3", "name": "Triển khai phong trào", "type": "pass_fail", "max": 10},
            {"code": "C4", "name": "Khen thưởng", "type": "per_occurrence", "max": 10, "points_per": 2.5, "cap": 8},
            {"code": "B1", "name": "Điểm thưởng", "type": "bonus", "max": 15},
            {"code": "P1", "name": "Điểm trừ", "type": "penalty", "max": 10, "cap": 5}]}], **voting)


def simple_template(**voting):
    """A bonus worth up to 100 points (so a unit's total is what it reports) and a penalty."""
    return template([{"code": "G", "name": "Tổng", "criteria": [
        {"code": "B", "name": "Điểm", "type": "bonus", "max": 100},
        {"code": "B2", "name": "Điểm thêm", "type": "bonus", "max": 100},
        {"code": "P", "name": "Điểm trừ", "type": "penalty", "max": 10}]}], **voting)


def report(unit, values=None, submitted_at="2021-04-05T01:00:00.000Z", **extra):
    return {"unit": unit, "unit_name": f"Đơn vị {unit}", "submitted_at": submitted_at, "late": False,
            "version": 1, "values": values or {}, **extra}


def scored(unit, total, **extra):
    """A report for simple_template whose total is ``total``."""
    return report(unit, {"B": {"points": total}}, **extra)


def row(result, unit):
    return next(r for r in result["table"] if r["unit"] == unit)


def line(result, unit, criterion):
    return next(b for b in row(result, unit)["breakdown"] if b["criterion"] == criterion)


def final(result, unit, criterion):
    return line(result, unit, criterion)["final"]


def order(result):
    return [(r["unit"], r["rank"]) for r in result["table"]]


# ---------------------------------------------------------------- criterion types, by hand

def test_target_below_at_above_not_best_and_best():
    result = compute(full_template(), [report(u, {"C1": {"actual": a}})
                                       for u, a in [("A", 60), ("B", 80), ("C", 90), ("D", 100)]])
    # max 20, target 80, best 100:
    assert final(result, "A", "C1") == 7.5    # below:  0.5*20*60/80 = 10*0.75 = 7.5
    assert final(result, "B", "C1") == 10     # at:     0.5*20 = 10
    assert final(result, "C", "C1") == 15     # above, not best: 10 + (90-80)/(100-80)*10 = 10 + 5 = 15
    assert final(result, "D", "C1") == 20     # above and best: max 20
    assert line(result, "A", "C1")["formula"] == "worse than target: 0.5*20*60/80 = 7.5"
    assert line(result, "C", "C1")["inputs"] == {"actual": 90, "target": 80, "best": 100, "higher_is_better": True}
    assert line(result, "C", "C1")["source"] == "Kế hoạch 12/KH-CTK"


def test_target_lower_is_better_mirrors_with_ratios():
    result = compute(full_template(), [report(u, {"C2": {"actual": a}})
                                       for u, a in [("A", 125), ("B", 100), ("C", 90), ("D", 60)]])
    # max 10, target 100, lower is better, best = lowest = 60:
    assert final(result, "A", "C2") == 4      # worse: 0.5*10*100/125 = 5*0.8 = 4
    assert final(result, "B", "C2") == 5      # at:    0.5*10 = 5
    assert final(result, "C", "C2") == 6.25   # better, not best: 5 + (100-90)/(100-60)*5 = 5 + 1.25
    assert final(result, "D", "C2") == 10     # best: max 10


def test_lower_is_better_actual_zero_is_the_best():
    result = compute(full_template(), [report("D", {"C2": {"actual": 60}}), report("E", {"C2": {"actual": 0}})])
    assert final(result, "E", "C2") == 10     # 0 is the lowest count: max
    assert final(result, "D", "C2") == 7      # 5 + (100-60)/(100-0)*5 = 5 + 2 = 7


def test_target_score_is_never_negative():
    result = compute(full_template(), [report("A", {"C1": {"actual": -10}})])
    assert final(result, "A", "C1") == 0      # 0.5*20*(-10)/80 = -1.25, floored at 0


def test_missing_and_wrongly_typed_values_score_zero_with_a_reason_and_are_not_best():
    result = compute(full_template(), [report("A"), report("B", {"C1": {"actual": "95"}}),
                                       report("T", {"C1": {"actual": True}}),
                                       report("C", {"C1": {"actual": 90}})])
    assert (final(result, "A", "C1"), line(result, "A", "C1")["reason"]) == (0, "no value")
    assert final(result, "B", "C1") == 0
    assert line(result, "B", "C1")["reason"] == 'wrong type: expected {"actual": number}'
    assert line(result, "B", "C1")["inputs"] == {"given": {"actual": "95"}}
    assert final(result, "T", "C1") == 0      # a boolean is not a number
    assert final(result, "C", "C1") == 20     # the only valid actual is the best: max


def test_values_for_unknown_criteria_are_ignored():
    result = compute(full_template(), [report("A", {"ZZ": {"actual": 5}, "C3": {"passed": True}})])
    assert [b["criterion"] for b in row(result, "A")["breakdown"]] == ["C1", "C2", "C3", "C4", "B1", "P1"]
    assert row(result, "A")["total"] == 10


def test_pass_fail():
    result = compute(full_template(), [report("A", {"C3": {"passed": True}}), report("B", {"C3": {"passed": False}}),
                                       report("C", {"C3": {"passed": 1}})])
    assert [final(result, u, "C3") for u in "ABC"] == [10, 0, 0]
    assert line(result, "C", "C3")["reason"].startswith("wrong type")


def test_per_occurrence_with_cap():
    result = compute(full_template(), [report(u, {"C4": {"count": n}}) for u, n in [("A", 2), ("B", 4), ("C", -1)]])
    assert final(result, "A", "C4") == 5      # min(2*2.5, 8) = 5
    assert final(result, "B", "C4") == 8      # min(4*2.5, 8) = min(10, 8) = 8
    assert line(result, "B", "C4")["formula"] == "min(4*2.5, cap 8) = 8"
    assert final(result, "C", "C4") == 0      # a negative count is not a count


def test_bonus_and_penalty_are_clamped():
    values = [("A", 20, 2), ("B", -3, 8), ("C", 7.5, -1)]
    result = compute(full_template(), [report(u, {"B1": {"points": b}, "P1": {"points": p}}) for u, b, p in values])
    # bonus: clamp(points, 0, cap = max 15); penalty: -clamp(points, 0, cap 5)
    assert [final(result, u, "B1") for u in "ABC"] == [15, 0, 7.5]
    assert [final(result, u, "P1") for u in "ABC"] == [-2, -5, 0]


def test_reviewed_score_is_final_and_clamped_to_the_criterion_range():
    a = report("A", {"C1": {"actual": 60}, "C3": {"passed": True}, "C4": {"count": 4},
                     "B1": {"points": 5}, "P1": {"points": 2}},
               self_scores={"C1": 10, "C3": 10},
               review={"C1": {"points": 9, "comment": "Có minh chứng"}, "P1": {"points": -9}})
    result = compute(full_template(), [a, report("B", {"C1": {"actual": 100}}, review={"C3": {"points": 12}, "C4": 3})])
    assert line(result, "A", "C1")["computed"] == 7.5      # 0.5*20*60/80
    assert line(result, "A", "C1")["reviewed"] == 9
    assert line(result, "A", "C1")["review_comment"] == "Có minh chứng"
    assert final(result, "A", "C1") == 9
    assert final(result, "A", "P1") == -5                  # -9 clamped to the penalty's range [-5, 0]
    assert final(result, "B", "C3") == 10                  # 12 clamped to [0, 10] although no value was sent
    assert final(result, "B", "C4") == 3                   # a bare number is read as the reviewed points
    a_row = row(result, "A")
    assert a_row["computed_total"] == 28.5                 # 7.5 + 10 + 8 + 5 - 2
    assert a_row["total"] == 27                            # 9 + 10 + 8 + 5 - 5
    assert a_row["groups"] == {"G1": 9, "G2": 18}          # G2: 10 + 8 + 5 - 5
    assert a_row["self_total"] == 20                       # 10 + 10
    assert row(result, "B")["self_total"] is None


def test_units_with_the_same_value_get_equal_lines_each_with_its_own_scores():
    """A value is scored once per recompute and its line shared by every unit that gave it and adds
    nothing of its own; what differs between those units (self and reviewed scores, the type of the
    number) stays theirs, on a line of their own."""
    same = {"C1": {"actual": 60}, "C3": {"passed": True}, "C4": {"count": 4}}
    units = [report("A", same, self_scores={"C1": 8}, review={"C3": {"points": 4, "comment": "Thiếu"}}),
             report("B", same),
             report("C", {**same, "C1": {"actual": 60.0}}),
             report("D", {"C1": {"actual": 100}}),
             report("E", same)]
    result = compute(full_template(), units)
    a, b, c, e = (line(result, u, "C1") for u in "ABCE")
    assert b is e and line(result, "B", "C3") is line(result, "E", "C3")   # one line, two units
    assert (a["self"], b["self"], c["self"]) == (8, None, None)
    assert (a["computed"], b["computed"], c["computed"]) == (7.5, 7.5, 7.5)    # 0.5*20*60/80
    assert line(result, "A", "C3")["final"] == 4 and line(result, "A", "C3")["review_comment"] == "Thiếu"
    assert line(result, "B", "C3")["final"] == 10 and line(result, "B", "C3")["review_comment"] is None
    # 60 and 60.0 are one key to a dict, not one input: each unit's line shows what it sent.
    assert json.dumps(b["inputs"]["actual"]) == "60" and json.dumps(c["inputs"]["actual"]) == "60.0"
    assert a is not b and a == {**b, "self": 8}
    # C4: min(4*2.5, cap 8) = 8
    assert row(result, "A")["total"] == 7.5 + 4 + 8 and row(result, "B")["total"] == 7.5 + 10 + 8


# ---------------------------------------------------------------- ranking

def test_competition_ranking_1_2_2_4():
    result = compute(simple_template(), [scored("A", 90), scored("B", 80), scored("C", 80), scored("D", 70)])
    assert order(result) == [("A", 1), ("B", 2), ("C", 2), ("D", 4)]


def test_tie_break_orders_tied_units_without_splitting_their_rank():
    result = compute(simple_template(), [
        scored("W", 80, violations=[{"severity": 1}], commendations=[{"count": 5}]),   # more violations: last
        scored("X", 80, commendations=[{"count": 2}], submitted_at="2021-04-03T00:00:00Z"),
        scored("Y", 80, commendations=[{"count": 1}], submitted_at="2021-04-01T00:00:00Z"),  # fewer commendations
        scored("Z", 80, commendations=[{"count": 1}, {}], submitted_at="2021-04-02T00:00:00Z"),  # 2: earlier than X
        scored("V", 80, commendations=[{"count": 2}], submitted_at="2021-04-02T00:00:00Z"),  # as Z, code V < Z
        scored("TOP", 90), scored("LOW", 70)])
    assert order(result) == [("TOP", 1), ("V", 2), ("Z", 2), ("X", 2), ("Y", 2), ("W", 2), ("LOW", 7)]
    assert row(result, "Z")["commendations"] == 2             # an entry without a count is one


def test_totals_tie_on_their_two_decimal_value():
    result = compute(simple_template(), [report("P", {"B": {"points": 0.1}, "B2": {"points": 0.2}}),
                                         report("Q", {"B": {"points": 0.3}})])
    assert order(result) == [("P", 1), ("Q", 1)]                # 0.1+0.2 = 0.30000000000000004 ties 0.3
    assert (result["leader"], result["leader_status"]) == (None, "tie_revote")


# ---------------------------------------------------------------- classification

def test_discipline_caps_apply_the_strictest_and_only_flag_a_real_cap():
    result = compute(simple_template(), [
        scored("A", 95), scored("B", 95, violations=[{"severity": 1}]),
        scored("C", 95, violations=[{"severity": 2}]),
        scored("D", 95, violations=[{"severity": 2}, {"severity": 3}]),
        scored("E", 60, violations=[{"severity": 2}]),
        report("F", {"P": {"points": 5}})])
    classes = {r["unit"]: (r["class_by_score"], r["class"], r["capped_by_discipline"]) for r in result["table"]}
    assert classes["A"] == ("XUAT_SAC", "XUAT_SAC", False)
    assert classes["B"] == ("XUAT_SAC", "XUAT_SAC", False)     # severity 1 triggers no cap
    assert classes["C"] == ("XUAT_SAC", "KHA", True)           # severity >= 2: at most Khá
    assert classes["D"] == ("XUAT_SAC", "TRUNG_BINH", True)    # both caps: the strictest wins
    assert classes["E"] == ("TRUNG_BINH", "TRUNG_BINH", False)  # already below the cap
    assert row(result, "E")["discipline_cap"] == "KHA"
    assert classes["F"] == ("YEU", "YEU", False)               # total -5 is below every minimum: worst level


def vote(ballots, eligible=7, classes=None, leading=None):
    return {"ballots_cast": ballots, "eligible": eligible, "classes": classes or {}, "leading_unit": leading or {}}


def test_class_by_vote_is_the_best_level_a_majority_gives_or_betters_and_the_worse_of_score_and_vote_wins():
    votes = vote(6, classes={"A": {"XUAT_SAC": 3, "TOT": 2, "KHA": 1}, "B": {"XUAT_SAC": 6},
                             "C": {"XUAT_SAC": 4, "TOT": 2}})
    result = compute(simple_template(), [scored("A", 95), scored("B", 85), scored("C", 95), scored("D", 95)], votes)
    assert result["quorum_met"] is True                        # 6/7 >= 0.5
    by_vote = {r["unit"]: (r["class_by_score"], r["class_by_vote"], r["class"]) for r in result["table"]}
    # A: Xuất sắc 3/6 = 0.5 is not more than half; Xuất sắc or Tốt 5/6 is: Tốt.
    assert by_vote["A"] == ("XUAT_SAC", "TOT", "TOT")
    assert by_vote["B"] == ("TOT", "XUAT_SAC", "TOT")           # the score is the worse: Tốt
    assert by_vote["C"] == ("XUAT_SAC", "XUAT_SAC", "XUAT_SAC")  # 4/6 > 0.5
    assert by_vote["D"] == ("XUAT_SAC", None, "XUAT_SAC")        # nobody classified D: the vote decides nothing


def test_other_thresholds_are_at_least_and_exact_fractions():
    votes = vote(6, classes={"A": {"XUAT_SAC": 4, "TOT": 2}})
    assert row(compute(simple_template(threshold="2/3"), [scored("A", 95)], votes), "A")["class_by_vote"] == "XUAT_SAC"
    # 4/6 = 0.666... is below 0.67; Xuất sắc or Tốt 6/6 passes: Tốt.
    assert row(compute(simple_template(threshold=0.67), [scored("A", 95)], votes), "A")["class_by_vote"] == "TOT"


def test_a_vote_without_quorum_decides_nothing():
    votes = vote(3, classes={"A": {"TOT": 3}}, leading={"B": 3})   # 3/7 < 0.5
    result = compute(simple_template(), [scored("A", 95), scored("B", 90)], votes)
    assert result["quorum_met"] is False
    assert row(result, "A")["class_by_vote"] is None and row(result, "A")["class"] == "XUAT_SAC"
    assert (result["leader"], result["leader_status"]) == ("A", "provisional")
    assert compute(simple_template(), [scored("A", 95)], vote(7, eligible=14))["quorum_met"] is True  # exactly 0.5


# ---------------------------------------------------------------- leading unit (đơn vị dẫn đầu)

def leader(result):
    return result["leader"], result["leader_status"]


def test_without_votes_the_unit_ranked_first_alone_is_provisional():
    assert leader(compute(simple_template(), [scored("A", 90), scored("B", 80)])) == ("A", "provisional")
    assert compute(simple_template(), [scored("A", 90)])["quorum_met"] is None


def test_without_votes_a_tie_for_first_needs_a_revote():
    result = compute(simple_template(), [scored("A", 90), scored("B", 90), scored("C", 1)])
    assert leader(result) == (None, "tie_revote")


def test_no_reports_no_leader():
    result = compute(simple_template(), [])
    assert (result["table"], leader(result)) == ([], (None, "none"))


def test_the_vote_elects_the_leader_even_against_the_score():
    result = compute(simple_template(), [scored("A", 90), scored("B", 95)], vote(6, leading={"A": 4, "B": 2}))
    assert leader(result) == ("A", "elected")                  # 4/6 > 0.5


def test_several_candidates_go_to_the_higher_total_then_to_a_revote():
    votes, rule = vote(6, leading={"A": 3, "B": 3}), simple_template(threshold=0.4)  # "at least": 3/6 passes twice
    assert leader(compute(rule, [scored("A", 90), scored("B", 95)], votes)) == ("B", "elected")
    assert leader(compute(rule, [scored("A", 90), scored("B", 90)], votes)) == (None, "tie_revote")


def test_no_candidate_passing_the_threshold_means_no_leader():
    result = compute(simple_template(), [scored("A", 90), scored("B", 95)], vote(6, leading={"A": 3, "B": 3}))
    assert leader(result) == (None, "none")                     # 3/6 is not more than half


def test_a_unit_capped_by_discipline_cannot_lead():
    units = [scored("A", 95, violations=[{"severity": 2}]), scored("B", 90)]
    result = compute(simple_template(), units)
    assert order(result)[0] == ("A", 1) and row(result, "A")["may_lead"] is False
    assert leader(result) == ("B", "provisional")               # the best unit that may lead
    assert leader(compute(simple_template(), units, vote(6, leading={"A": 5}))) == (None, "none")


# ---------------------------------------------------------------- validation

def broken(change):
    t = full_template()
    change(t)
    return t


def criteria(t):
    return [c for g in t["groups"] for c in g["criteria"]]


@pytest.mark.parametrize("change, message", [
    (lambda t: criteria(t)[1].update(code="C1"), "duplicate criterion code 'C1'"),
    (lambda t: t["groups"][1].update(code="G1"), "duplicate group code 'G1'"),
    (lambda t: criteria(t)[0].update(type="ratio"), "unknown type 'ratio'"),
    (lambda t: criteria(t)[0].pop("max"), "'max' is required"),
    (lambda t: criteria(t)[0].update(max=-1), "'max' must be > 0"),
    (lambda t: criteria(t)[0].update(max=0), "'max' must be > 0"),
    (lambda t: criteria(t)[3].update(cap=12), "cap 12 is above max 10"),
    (lambda t: criteria(t)[5].update(cap=11), "cap 11 is above max 10"),
    (lambda t: criteria(t)[0].update(target=0), "'target' must be > 0"),
    (lambda t: criteria(t)[0].update(target=-5), "'target' must be > 0"),
    (lambda t: t["classification"]["levels"][1].update(min=90), "strictly descending"),
    (lambda t: t["classification"]["levels"][1].update(min=95), "strictly descending"),
    (lambda t: t["classification"]["levels"][0].update(code="TOT"), "duplicate level code 'TOT'"),
    (lambda t: t["classification"]["discipline_caps"][0].update(max_level="GIOI"), "unknown level 'GIOI'"),
    (lambda t: t["voting"].update(threshold=0), "threshold must be in"),
    (lambda t: t["voting"].update(quorum="most"), "quorum 'most'"),
])
def test_invalid_templates_are_refused_with_a_clear_message(change, message):
    t = broken(change)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        validate_template(t)
    with pytest.raises(ValueError, match="."):
        compute(t, [])


def test_the_example_templates_are_valid():
    validate_template(full_template())
    validate_template(simple_template(threshold="2/3", quorum=0.5))


def test_a_template_is_checked_once_and_the_kept_rules_follow_its_content(monkeypatch):
    """compute keeps a template's checked rules by its content (docs/ranking-engine.md, Cost): an
    equal template read again is not checked again, a changed one is, and changing a template in
    place after it was scored changes neither the kept rules nor a later table of the first one."""
    checks, check = [], engine.check_template
    monkeypatch.setattr(engine, "check_template", lambda t: checks.append(t["id"]) or check(t))
    monkeypatch.setattr(engine, "_CHECKED", {})
    reports = [report("A", {"C1": {"actual": 70}, "B1": {"points": 12}}), report("B", {"C1": {"actual": 90}})]
    first = compute(full_template(), reports)
    changed = full_template()
    assert compute(changed, reports) == first and checks == ["TPL-1"]
    criteria(changed)[4]["max"] = 10                # B1 (bonus): 15 -> 10, in place
    assert final(compute(changed, reports), "A", "B1") == 10 and checks == ["TPL-1", "TPL-1"]
    assert compute(full_template(), reports) == first and final(first, "A", "B1") == 12
    assert len(checks) == 2
    with pytest.raises(ValueError, match="cap 12 is above max 10"):
        compute(broken(lambda t: criteria(t)[3].update(cap=12)), reports)   # a refusal is never kept
    with pytest.raises(ValueError, match="cap 12 is above max 10"):
        compute(broken(lambda t: criteria(t)[3].update(cap=12)), reports)


def test_a_second_report_for_a_unit_and_malformed_votes_are_refused():
    with pytest.raises(ValueError, match="more than one report for unit 'A'"):
        compute(simple_template(), [scored("A", 1), scored("A", 2)])
    with pytest.raises(ValueError, match="ballots cast but only"):
        compute(simple_template(), [scored("A", 1)], vote(8, eligible=7))
    with pytest.raises(ValueError, match="leading_unit"):
        compute(simple_template(), [scored("A", 1)], vote(6, leading={"A": "4"}))


# ---------------------------------------------------------------- output, hash, diff

def test_output_is_json_rounded_at_the_boundary_and_the_inputs_are_untouched():
    reports = [report("A", {"C1": {"actual": 70}, "C2": {"actual": 130}}), report("B", {"C1": {"actual": 85}})]
    before = copy.deepcopy(reports)
    result = compute(full_template(), reports)
    assert json.loads(json.dumps(result)) == result
    assert reports == before
    # A: C1 0.5*20*70/80 = 8.75; C2 0.5*10*100/130 = 3.846... -> 3.85 (the total adds unrounded: 12.596 -> 12.6)
    assert final(result, "A", "C2") == 3.85 and row(result, "A")["total"] == 12.6
    assert result["rule_version"] == RULE_VERSION == "engine/1"
    assert result["template"] == {"id": "TPL-1", "version": 3}


def test_the_collector_pause_ends_with_the_computation_even_when_it_refuses():
    """compute pauses the garbage collector while it builds the table (docs/ranking-engine.md, Cost);
    the process must get it back in the state it was, after a table or a refusal alike."""
    assert gc.isenabled()
    compute(full_template(), [report("A", {"C1": {"actual": "seventy"}})])
    assert gc.isenabled()
    with pytest.raises(ValueError):
        compute(simple_template(), [scored("A", 1), scored("A", 2)])
    assert gc.isenabled()
    gc.disable()
    try:
        compute(full_template(), [report("A", {"C1": {"actual": 70}})])
        assert not gc.isenabled()       # a caller's own pause is left alone
    finally:
        gc.enable()


def test_an_unscorable_value_keeps_no_reference_cycle():
    """A value that cannot be scored is kept without its traceback, whose frame would hold it in a
    cycle that only the collector (paused in compute) could free."""
    rules = validate_template(full_template())
    parsed = engine._parse_values(rules, report("A", {"C1": {"actual": "seventy"}}))
    problems = [value for value in parsed if isinstance(value, engine.InvalidValue)]
    assert problems and all(problem.__traceback__ is None for problem in problems)


def test_the_hash_follows_the_inputs():
    reports = [scored("A", 90), scored("B", 80)]
    h = compute(simple_template(), reports)["input_hash"]
    assert h == input_hash(simple_template(), list(reversed(reports)))
    assert h != compute(simple_template(), [scored("A", 90), scored("B", 81)])["input_hash"]
    assert h != compute(simple_template(), reports, vote(6))["input_hash"]
    assert len(h) == 64 and int(h, 16) >= 0


def test_the_hash_is_the_sha256_of_the_whole_canonical_text_fed_a_few_reports_at_a_time():
    """Stored snapshots carry this digest and an audit re-derives it, so its definition never moves:
    the pinned digests were taken from the text made whole, before it was fed in pieces."""
    def whole(template, reports, votes=None):
        payload = {"rule_version": RULE_VERSION, "template": template, "votes": votes,
                   "reports": sorted(reports, key=lambda r: str(r.get("unit")))}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    for count in (0, 1, 63, 64, 65, 129, 200):      # the pieces are 64 reports long
        reports = [scored(f"U{n:03d}", n % 7, unit_name=f"Công an xã {n}") for n in range(count)]
        assert input_hash(simple_template(), reports, vote(count)) == whole(simple_template(), reports, vote(count))
    varied = [report("B", {"C1": {"actual": 70.25}}),
              report("Á", {"C1": {"actual": 1e16}}, unit_name="Công an huyện Đông Anh",
                     submitted_at=datetime(2021, 4, 2, 3, 4, 5))]
    assert input_hash(full_template(), varied) == \
        "d41bfd45c73319f93cbb4a8cf0124f0bcc5ff33c2a49a8f9670e34fd163cc2c7" == whole(full_template(), varied)
    assert input_hash(full_template(), varied, vote(6)) == \
        "2284452818a83f748cdbdd4f2a9e2c24ffbbb9e386d50989ed30d655c9b5be87"
    assert input_hash(full_template(), []) == "5a01e6366817686d8fbda5f36678f7a5ca7be28784c8123f92c5bd07bbd7750e"


def test_diff_names_leader_class_and_rank_changes():
    first = compute(simple_template(), [scored("A", 95), scored("B", 85), scored("C", 70)])
    assert diff(None, first)["leader_changed"] is True
    assert diff(None, first)["rank_moves"][0] == {"unit": "A", "from": None, "to": 1}
    second = compute(simple_template(), [scored("A", 85), scored("B", 95), scored("D", 60)])
    assert diff(first, second) == {
        "leader_changed": True, "previous_leader": "A", "leader": "B",
        "class_changes": [{"unit": "B", "from": "TOT", "to": "XUAT_SAC"},
                          {"unit": "A", "from": "XUAT_SAC", "to": "TOT"},
                          {"unit": "D", "from": None, "to": "TRUNG_BINH"}, {"unit": "C", "from": "KHA", "to": None}],
        "rank_moves": [{"unit": "B", "from": 2, "to": 1}, {"unit": "A", "from": 1, "to": 2},
                       {"unit": "D", "from": None, "to": 3}, {"unit": "C", "from": 3, "to": None}]}
    assert diff(second, second)["leader_changed"] is False


def test_the_engine_imports_only_the_standard_library():
    tree = ast.parse(Path(engine.__file__).read_text(encoding="utf-8"))
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert modules <= set(sys.stdlib_module_names) | {"__future__", "thidua"}
    # The shared contract it reads, the criteria template and the criterion types, is pure too.
    contract = Path(sys.modules["thidua.criteria"].__file__)
    for path in [contract, *sorted((contract.parent / "criterion_types").glob("*.py"))]:
        shared = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(shared) if isinstance(n, ast.ImportFrom)} | \
            {a.name for n in ast.walk(shared) if isinstance(n, ast.Import) for a in n.names}
        assert {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names
                and m != "thidua" and not m.startswith("thidua.criterion_types")} == set(), path


# ---------------------------------------------------------------- properties

finite = dict(allow_nan=False, allow_infinity=False)
unit_values = st.fixed_dictionaries({}, optional={
    "C1": st.builds(lambda a: {"actual": a}, st.floats(-10, 200, **finite) | st.integers(0, 200)),
    "C2": st.builds(lambda a: {"actual": a}, st.floats(0, 300, **finite)),
    "C3": st.builds(lambda p: {"passed": p}, st.booleans()),
    "C4": st.builds(lambda n: {"count": n}, st.integers(0, 10)),
    "B1": st.builds(lambda p: {"points": p}, st.floats(-5, 30, **finite)),
    "P1": st.builds(lambda p: {"points": p}, st.floats(-5, 20, **finite)),
})
unit_reports = st.lists(
    st.builds(lambda unit, values, day, severities, n, reviewed: report(
        unit, values, submitted_at=f"2021-04-0{day}T00:00:00.000Z",
        violations=[{"severity": s} for s in severities], commendations=[{"count": n}],
        review={"C3": {"points": reviewed}} if reviewed is not None else {}),
        st.sampled_from([f"U{i:02d}" for i in range(12)]), unit_values, st.integers(1, 3),
        st.lists(st.integers(0, 3), max_size=2), st.integers(0, 3), st.none() | st.floats(-5, 15, **finite)),
    max_size=8, unique_by=lambda r: r["unit"])
fast = settings(max_examples=60, deadline=None)


@fast
@given(unit_reports, st.randoms())
def test_the_result_does_not_depend_on_the_order_of_reports(reports, rnd):
    shuffled = list(reports)
    rnd.shuffle(shuffled)
    assert compute(full_template(), shuffled) == compute(full_template(), reports)


@fast
@given(unit_reports.filter(bool), st.integers(0, 7), st.floats(0, 150, **finite))
def test_raising_an_actual_on_a_higher_is_better_target_never_lowers_the_units_own_score(reports, pick, raise_by):
    unit = reports[pick % len(reports)]
    higher = copy.deepcopy(reports)
    raised = higher[pick % len(reports)]
    raised["values"]["C1"] = {"actual": raised["values"].get("C1", {"actual": 0})["actual"] + raise_by}
    before, after = compute(full_template(), reports), compute(full_template(), higher)
    assert line(after, unit["unit"], "C1")["computed"] >= line(before, unit["unit"], "C1")["computed"]
    assert row(after, unit["unit"])["computed_total"] >= row(before, unit["unit"])["computed_total"]


@fast
@given(unit_reports)
def test_same_inputs_give_the_same_output_and_hash(reports):
    first = compute(full_template(), reports)
    assert compute(copy.deepcopy(full_template()), copy.deepcopy(reports)) == first
    assert first["input_hash"] == input_hash(full_template(), reports)


@fast
@given(unit_reports)
def test_ranks_are_a_competition_ranking_on_the_rounded_total(reports):
    table = compute(full_template(), reports)["table"]
    totals = [r["total"] for r in table]
    assert totals == sorted(totals, reverse=True)
    for r in table:
        assert r["rank"] == 1 + sum(1 for other in totals if other > r["total"])
