"""Bonus (điểm thưởng) and penalty (điểm trừ) points: the unit reports a positive number of
points; a bonus adds it, a penalty takes it off, each within its cap."""
from thidua.criterion_types.base import CAP, CriterionType, Value, fmt
from thidua.criterion_types.registry import register


class Bonus(CriterionType):
    name = "bonus"
    label = "Điểm thưởng"
    rule = "clamp(points, 0, cap); cap defaults to max."
    hint = "Điểm thưởng, tối đa {high}"
    settings = {"cap": CAP}
    value = Value("points", "number")
    top = ("cap", "max")

    def score(self, criterion, points, best):
        cap = self.score_range(criterion)[1]
        result = max(0.0, min(cap, float(points)))
        return result, f"clamp({fmt(points)}, 0, cap {fmt(cap)}) = {fmt(result)}"


class Penalty(Bonus):
    name = "penalty"
    label = "Điểm trừ"
    rule = "-clamp(points, 0, cap); cap defaults to max."
    hint = "Điểm trừ, tối đa {top}"
    negative = True

    def score(self, criterion, points, best):
        cap = -self.score_range(criterion)[0]
        result = -max(0.0, min(cap, float(points)))
        return result, f"-clamp({fmt(points)}, 0, cap {fmt(cap)}) = {fmt(result)}"


register(Bonus())
register(Penalty())
