"""Points per occurrence with a cap (e.g. points per commendation)."""
from thidua.criterion_types.base import CAP, CriterionType, Setting, Value, fmt
from thidua.criterion_types.registry import register


class PerOccurrence(CriterionType):
    name = "per_occurrence"
    label = "Tính theo lượt"
    rule = "min(count*points_per, cap); cap defaults to max."
    hint = "{points_per} điểm mỗi lượt, tối đa {high}"
    settings = {"points_per": Setting("number", "points for each occurrence", required=True, minimum=0),
                "cap": CAP}
    value = Value("count", "count")
    top = ("cap", "max")

    def score(self, criterion, count, best):
        per, cap = criterion["points_per"], self.score_range(criterion)[1]
        points = min(count * per, cap)
        return points, f"min({count}*{fmt(per)}, cap {fmt(cap)}) = {fmt(points)}"


register(PerOccurrence())
