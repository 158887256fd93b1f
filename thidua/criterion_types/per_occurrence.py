"""Points per occurrence with a cap (e.g. points per commendation).

A criterion of this type may count the report's own commendations instead of a number the unit
types in: ``"from_commendations": {"form": "BANG_KHEN", "level": ["MINISTRY", "PROVINCE"],
"kind": "collective"}`` counts the entries matching every key given (``{}`` counts them all). The
count derived from the list is then the value, whatever the unit sent for the criterion.
"""
from thidua.criterion_types.base import CAP, CriterionType, Setting, TemplateInvalid, Value, fmt
from thidua.criterion_types.registry import register

FILTER_KEYS = ("form", "level", "kind")


def commendation_kind(entry):
    """``collective``, ``individual`` or ``mixed`` (lượt đơn vị, cá nhân, not split) of a
    commendation; older entries carry only ``collective``."""
    return entry.get("kind") or ("collective" if entry.get("collective") else "individual")


def matches(entry, wanted):
    """Whether a commendation is one ``wanted`` picks: each key given agrees (a list is a choice)."""
    for key in FILTER_KEYS:
        want = wanted.get(key)
        have = commendation_kind(entry) if key == "kind" else entry.get(key)
        if want is not None and have not in (want if isinstance(want, list) else [want]):
            return False
    return True


def count_matching(commendations, wanted):
    """The occurrences among ``commendations`` that ``wanted`` picks (an entry counts ``count`` times)."""
    total = 0
    for entry in commendations if isinstance(commendations, list) else []:
        count = entry.get("count", 1) if isinstance(entry, dict) else 0
        if isinstance(count, int) and not isinstance(count, bool) and count > 0 and matches(entry, wanted):
            total += count
    return total


class CommendationFilter(Setting):
    """``from_commendations``: which commendations of the report the criterion counts."""

    def check(self, criterion, key):
        if key not in criterion:
            return
        wanted = criterion[key]
        where = f"criterion {criterion.get('code')!r}: '{key}'"
        if not isinstance(wanted, dict) or set(wanted) - set(FILTER_KEYS):
            raise TemplateInvalid(f"{where} must be an object with some of {', '.join(FILTER_KEYS)}")
        for name, value in wanted.items():
            choices = value if isinstance(value, list) else [value]
            if not choices or not all(isinstance(c, str) and c for c in choices):
                raise TemplateInvalid(f"{where}.{name} must be a code or a list of codes")

    def document(self):
        return {"kind": "filter", "required": False, "description": self.description, "keys": list(FILTER_KEYS)}


class PerOccurrence(CriterionType):
    name = "per_occurrence"
    label = "Tính theo lượt"
    rule = ("min(count*points_per, cap); cap defaults to max. With from_commendations, count is the "
            "report's commendations matching it.")
    hint = "{points_per} điểm mỗi lượt, tối đa {high}"
    settings = {"points_per": Setting("number", "points for each occurrence", required=True, minimum=0),
                "cap": CAP,
                "from_commendations": CommendationFilter(
                    "filter", "count the report's commendations matching {form, level, kind} instead of a "
                              "value the unit gives")}
    value = Value("count", "count")
    top = ("cap", "max")

    def derive(self, criterion, report):
        if "from_commendations" not in criterion:
            return None
        return {"count": count_matching(report.get("commendations"), criterion["from_commendations"])}

    def scorer(self, criterion, best):
        per, cap = criterion["points_per"], self.score_range(criterion)[1]
        shown = f"*{fmt(per)}, cap {fmt(cap)}) = "

        def score(count):
            points = min(count * per, cap)
            return points, f"min({count}{shown}{fmt(points)}"
        return score


register(PerOccurrence())
