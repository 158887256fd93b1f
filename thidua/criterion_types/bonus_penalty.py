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

    def scorer(self, criterion, best):
        cap = max(map(abs, self.score_range(criterion)))
        sign, text = (-1.0, "-clamp") if self.negative else (1.0, "clamp")
        shown = f", 0, cap {fmt(cap)}) = "

        def score(points):
            result = sign * max(0.0, min(cap, float(points)))
            return result, f"{text}({fmt(points)}{shown}{fmt(result)}"
        return score


class Penalty(Bonus):
    name = "penalty"
    label = "Điểm trừ"
    rule = "-clamp(points, 0, cap); cap defaults to max."
    hint = "Điểm trừ, tối đa {top}"
    negative = True


register(Bonus())
register(Penalty())
