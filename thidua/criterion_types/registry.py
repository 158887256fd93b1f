"""The registry of criterion types: ``register`` a type once, everything else looks it up. Pure."""
from thidua.criterion_types.base import CriterionType

COMMON_FIELDS = {
    "code": "the criterion's code, unique in the template",
    "name": "what is assessed",
    "type": "one of the registered criterion types",
    "max": "the criterion's maximum score (> 0)",
    "source": "the legal or regulatory source of the criterion",
}

REGISTRY = {}


def register(kind):
    """Add a criterion type (an instance of a ``CriterionType`` subclass); its name must be new."""
    if not isinstance(kind, CriterionType) or not kind.name or kind.value is None:
        raise TypeError("a criterion type is a CriterionType with a name and a value shape")
    if kind.name in REGISTRY:
        raise ValueError(f"criterion type {kind.name!r} is already registered")
    REGISTRY[kind.name] = kind
    return kind


def unregister(name):
    REGISTRY.pop(name, None)


def names():
    return sorted(REGISTRY)


def get(name):
    """The type called ``name``, or None (also for a name that is not even text)."""
    return REGISTRY.get(name) if isinstance(name, str) else None


def of(criterion):
    """The type of a criterion of a valid template."""
    return REGISTRY[criterion["type"]]


def document():
    """The document ``GET /api/v1/criterion-types`` answers: what the pages build their inputs from."""
    return {"common": COMMON_FIELDS, "items": [kind.document() for kind in REGISTRY.values()]}
