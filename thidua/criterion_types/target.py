"""Target-relative criterion (so sánh chỉ tiêu): scored against the target and the cluster's best."""
from thidua.criterion_types.base import CriterionType, Setting, Value, fmt
from thidua.criterion_types.registry import register


class Target(CriterionType):
    name = "target"
    label = "So sánh chỉ tiêu"
    rule = ("below target 0.5*max*actual/target; at target 0.5*max; better than target and best in the "
            "cluster max; better, not best 0.5*max + (actual-target)/(best-target)*0.5*max. With "
            "higher_is_better false the same shape mirrored (best is the lowest actual). Never below 0.")
    hint = "Chỉ tiêu {target}; {low} đến {high} điểm"
    settings = {
        "target": Setting("number", "the target the unit's actual is compared with", required=True,
                          minimum=0, exclusive=True),
        "higher_is_better": Setting("boolean", "false when a lower actual is better (e.g. incidents)",
                                    default=True),
    }
    value = Value("actual", "number")
    cluster_relative = True

    @staticmethod
    def higher_is_better(criterion):
        return criterion.get("higher_is_better", True)

    def best(self, criterion, values):
        """The best actual of the cluster among units with a value (None if nobody has one)."""
        if not values:
            return None
        return max(values) if self.higher_is_better(criterion) else min(values)

    def inputs(self, criterion, value, best):
        return {"actual": value, "target": criterion["target"], "best": best,
                "higher_is_better": criterion.get("higher_is_better", True)}

    def scorer(self, criterion, best):
        top, target = float(criterion["max"]), criterion["target"]
        half = 0.5 * top
        higher = self.higher_is_better(criterion)
        t, m = fmt(target), fmt(top)
        at_target = f" = target {t}: 0.5*{m} = {fmt(half)}"
        if best is not None:
            # The "distance ahead of the target", positive when better, so both directions
            # share one formula: lower-is-better is the mirror image of higher-is-better.
            best_ahead, b = (best - target) if higher else (target - best), fmt(best)
            at_best = top, f"better than target {t} and best in cluster ({b}): max {m}"

        def score(actual):
            ahead = (actual - target) if higher else (target - actual)
            if ahead == 0:
                return half, f"actual {fmt(actual)}{at_target}"
            a = fmt(actual)
            if ahead < 0:
                # Worse than target: the ratio of achievement, actual/target (or target/actual
                # when lower is better, which is < 1 and tends to 0 as the count grows).
                ratio, text = (actual / target, f"{a}/{t}") if higher else (target / actual, f"{t}/{a}")
                points = max(0.0, half * ratio)
                return points, f"worse than target: 0.5*{m}*{text} = {fmt(points)}"
            if ahead >= best_ahead:     # better than the target: the cluster has a best
                return at_best
            points = half + ahead / best_ahead * half
            gap = f"({a}-{t})/({b}-{t})" if higher else f"({t}-{a})/({t}-{b})"
            return points, f"better than target, best {b}: 0.5*{m} + {gap}*0.5*{m} = {fmt(points)}"
        return score

register(Target())
