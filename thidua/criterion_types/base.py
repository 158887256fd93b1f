"""What a criterion type is made of. Pure: the standard library only.

A criterion type (target, pass/fail, ...) is one object holding everything about it:
the settings a criterion of the type is configured with (its template contract), the
shape of a unit's value, the range of its score, how the engine scores it and the
texts the pages show. The template check (``thidua.criteria``), the report validator,
the scoring engine and the pages (through ``GET /api/v1/criterion-types``) all read
these objects from the registry; none of them knows a type by name.
"""
import functools
import math
from dataclasses import dataclass

NO_VALUE = "no value"
_ABSENT = object()      # a value object without the value's field


class TemplateInvalid(ValueError):
    """A template that cannot be used; the message says what to change."""


class InvalidValue(Exception):
    """A unit's value that cannot be scored; the message is the reason shown in the breakdown."""

    given = None    # the raw value, set by the engine for the breakdown


def is_number(x):
    if type(x) is float:        # most values: the one test they need
        return math.isfinite(x)
    # bool is an int subclass: a True must not count as 1.
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def is_count(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


@functools.lru_cache(maxsize=4096, typed=True)
def fmt(x):
    """A number as a person writes it: at most 2 decimals, no trailing zeros.

    Cached: the engine writes every breakdown line's formula with it (three numbers a line, most
    of them a template's few constants), and a lookup costs a tenth of formatting."""
    if type(x) is int or (type(x) is float and x.is_integer() and abs(x) < 1e15):
        return str(int(x))          # most of a template's numbers: the short way ("-0.0" is "0")
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class Setting:
    """One field a criterion of a type is configured with, besides code, name, type, max and source."""

    kind: str                   # "number" or "boolean"
    description: str
    required: bool = False
    minimum: float | None = None
    exclusive: bool = False     # the minimum itself is refused
    at_most: str | None = None  # another field of the criterion this one may not exceed
    default: object = None

    def check(self, criterion, key):
        where = f"criterion {criterion.get('code')!r}"
        if key not in criterion:
            if self.required:
                raise TemplateInvalid(f"{where}: '{key}' is required")
            return
        value = criterion[key]
        if value is None:
            raise TemplateInvalid(f"{where}: '{key}' is required")
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise TemplateInvalid(f"{where}: '{key}' must be true or false")
            return
        if not is_number(value):
            raise TemplateInvalid(f"{where}: '{key}' must be a number, got {value!r}")
        if self.minimum is not None and (value <= self.minimum if self.exclusive else value < self.minimum):
            relation = ">" if self.exclusive else ">="
            raise TemplateInvalid(f"{where}: '{key}' must be {relation} {fmt(self.minimum)}, got {fmt(value)}")
        if self.at_most is not None and value > criterion[self.at_most]:
            raise TemplateInvalid(f"{where}: {key} {fmt(value)} is above {self.at_most} "
                                  f"{fmt(criterion[self.at_most])}")

    def document(self):
        doc = {"kind": self.kind, "required": self.required, "description": self.description}
        if self.minimum is not None:
            doc["exclusive_minimum" if self.exclusive else "minimum"] = self.minimum
        if self.at_most is not None:
            doc["at_most"] = self.at_most
        if self.default is not None:
            doc["default"] = self.default
        return doc


# kind -> (accepts, the type as the engine's reason names it, the validator's limit and message)
_KINDS = {
    "number": (is_number, "number", 10**9, "must be a number from 0 to 1000000000"),
    "count": (is_count, "integer >= 0", 100_000, "must be a whole number from 0 to 100000"),
    "boolean": (lambda x: isinstance(x, bool), "true|false", None, "must be true or false"),
}


class Value:
    """The shape of a unit's value for a criterion: an object with one field of one kind."""

    __slots__ = ("key", "kind", "shape", "accepts")

    def __init__(self, key, kind):
        self.key, self.kind = key, kind      # kind: "number", "count" or "boolean"
        self.accepts = _KINDS[kind][0]       # looked up once: the engine reads n*c values
        self.shape = f'{{"{key}": {_KINDS[kind][1]}}}'

    def read(self, raw):
        """The value the engine scores, or :class:`InvalidValue` saying why it cannot (lenient:
        a stored report is scored as it is, only its type matters)."""
        if isinstance(raw, dict):
            value = raw.get(self.key, _ABSENT)
            if self.accepts(value):        # the engine reads n*c values: the common case first
                return value
            if value is None:
                raise InvalidValue(NO_VALUE)      # an explicit null is a value not yet given
        raise InvalidValue(f"wrong type: expected {self.shape}")

    def problem(self, raw, type_name):
        """What is wrong with a value a unit sends (strict: exactly the one field, within limits), or None."""
        if not isinstance(raw, dict) or set(raw) != {self.key}:
            return f"must be {{\"{self.key}\": ...}} for a {type_name} criterion"
        _, _, limit, message = _KINDS[self.kind]
        value = raw[self.key]
        if not self.accepts(value) or (limit is not None and not 0 <= value <= limit):
            return message
        return None

    def document(self):
        limit = _KINDS[self.kind][2]
        doc = {"key": self.key, "kind": self.kind, "shape": self.shape}
        if limit is not None:
            doc.update(minimum=0, maximum=limit)
        return doc


MAX = Setting("number", "the criterion's maximum score", required=True, minimum=0, exclusive=True)
CAP = Setting("number", "the most points the criterion can give (or take); defaults to max, never above it",
              minimum=0, at_most="max")


class CriterionType:
    """One type of criterion. A subclass sets the class attributes and writes ``score``."""

    name = ""               # the ``type`` of a criterion in the template
    label = ""              # the type's name on the pages (Vietnamese)
    rule = ""               # how it scores, for the API document and the docs
    hint = ""               # a criterion's line on the pages: {field}, {low}, {high} are filled in
    settings = {}           # field -> Setting
    value = None            # a Value
    top = ("max",)          # the score's bound is the first of these fields the criterion has
    negative = False        # the score is taken off the total (range [-top, 0])
    cluster_relative = False    # the score needs the cluster's best value (``best``)

    def check(self, criterion):
        """Refuse a criterion of this type whose settings cannot be used (after ``max`` is checked)."""
        for key, setting in self.settings.items():
            setting.check(criterion, key)

    def score_range(self, criterion):
        """The points a criterion can give; reviewed and self scores are kept within it."""
        for key in self.top:       # a loop, not next(generator): the engine asks for every line
            if key in criterion:
                top = float(criterion[key])
                return (-top, 0.0) if self.negative else (0.0, top)
        raise KeyError(self.top[-1])

    def best(self, criterion, values):
        """The cluster's best of the units' valid values, for a cluster-relative type."""
        return None

    def derive(self, criterion, report):
        """The value the criterion takes from the rest of ``report`` (e.g. its commendations),
        overriding what the unit gave; ``None`` when the unit's own value counts."""
        return None

    def inputs(self, criterion, value, best):
        """What the breakdown shows the score was computed from."""
        return {self.value.key: value}

    def score(self, criterion, value, best):
        """(points, formula with the numbers) for a valid value. A type writes this or ``scorer``."""
        if type(self).scorer is CriterionType.scorer:
            raise NotImplementedError(f"criterion type {self.name!r} writes neither score nor scorer")
        return self.scorer(criterion, best)(value)

    def scorer(self, criterion, best):
        """``score`` with the criterion and the cluster's best bound: a function of the value alone.
        The engine asks for it once per criterion and recompute and calls it for each unit's
        value (n*c times), so a type that has many lines may read its settings and format its
        constants here, once; by default it calls ``score``."""
        return lambda value: self.score(criterion, value, best)

    def document(self):
        return {"type": self.name, "label": self.label, "rule": self.rule, "hint": self.hint,
                "settings": {key: s.document() for key, s in self.settings.items()},
                "value": self.value.document(),
                "score": {"bound": list(self.top), "negative": self.negative,
                          "cluster_relative": self.cluster_relative}}
