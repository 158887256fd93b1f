"""Pass/fail criterion (đạt / không đạt): max or 0."""
from thidua.criterion_types.base import CriterionType, Value, fmt
from thidua.criterion_types.registry import register


class PassFail(CriterionType):
    name = "pass_fail"
    label = "Đạt / không đạt"
    rule = "max if passed, else 0."
    hint = "Đạt: {max} điểm"
    value = Value("passed", "boolean")

    def scorer(self, criterion, best):
        top = float(criterion["max"])
        passed, failed = (top, f"passed: {fmt(top)}"), (0.0, "not passed: 0")
        return lambda value: passed if value else failed


register(PassFail())
