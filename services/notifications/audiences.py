"""Who is told, by who they are to a cluster's run of a period. Pure: no I/O.

A notice about a cluster reaches only the cluster's own people (the people of its member
units) and the leaders of the cluster's level: a province's leaders and standing office hear
of the province's clusters, the Ministry's of the Ministry's. A person's ``level`` and a
cluster's ``level`` are "province" unless they say otherwise.

The groups an audience is made of:

- ``heads``: the leaders of the cluster's lead and deputy units (the cluster lead);
- ``level_leaders``: the provincial leaders and the standing office of the cluster's level;
- ``office``: the standing office of the cluster's level;
- ``chair``: the leader chairing the cluster's meeting for the period (a person id, if known);
- ``members``: the people of every member unit;
- ``unit``: the people of one unit.
"""
from services.notifications.directory import CLUSTER_LEADING_ROLES, LEADER_ROLES, UNIT_ROLES

DEFAULT_LEVEL = "province"
STANDING_OFFICE = "standing_office"

# audience -> the groups it joins
AUDIENCES = {
    "leaders": ("level_leaders", "heads"),
    "cluster_lead": ("heads",),
    "unit": ("unit",),
    "members": ("members",),
    "cluster": ("members", "level_leaders"),
    "office_and_chair": ("office", "chair"),
    "lead_office_chair": ("heads", "office", "chair"),
    # A period event without a cluster (period.concluded.v1, before periods were run per
    # cluster) can only reach every unit's people and every leader.
    "everyone": ("all",),
}


def level_of(document):
    return (document or {}).get("level") or DEFAULT_LEVEL


def reaches_chair(who):
    """Whether audience ``who`` includes the chair of the cluster's meeting."""
    return "chair" in AUDIENCES[who]


def leading_units(cluster):
    return [m["unit"] for m in cluster["members"] if m["role"] in CLUSTER_LEADING_ROLES]


def _group(name, people, cluster, unit, chair):
    if name == "all":
        return [p for p in people if p.get("role") in UNIT_ROLES + LEADER_ROLES]
    if name == "unit":
        return [p for p in people if p.get("role") in UNIT_ROLES and p.get("unit") == unit]
    if name == "chair":
        return [p for p in people if chair and p["_id"] == chair]
    level = level_of(cluster)
    if name in ("level_leaders", "office"):
        roles = LEADER_ROLES if name == "level_leaders" else (STANDING_OFFICE,)
        return [p for p in people if p.get("role") in roles and level_of(p) == level]
    if name == "heads":
        leading = leading_units(cluster)
        return [p for p in people if p.get("role") == "unit_leader" and p.get("unit") in leading]
    members = [m["unit"] for m in cluster["members"]]
    return [p for p in people if p.get("role") in UNIT_ROLES and p.get("unit") in members]


def audience(who, people, cluster=None, unit=None, chair=None):
    """The people to tell: ``who`` names an audience of :data:`AUDIENCES`; ``people`` are the stored
    copies; ``cluster`` the stored cluster (for the cluster audiences); ``unit`` a unit code; ``chair``
    the chair's person id. Returns public people (``id``), each once, sorted by id."""
    if who not in AUDIENCES:
        raise ValueError(f"unknown audience {who!r}")
    people = list(people)
    chosen = {p["_id"]: p for name in AUDIENCES[who] for p in _group(name, people, cluster, unit, chair)}
    return [{"id": key, **{k: v for k, v in chosen[key].items() if k not in ("_id", "_at", "_event")}}
            for key in sorted(chosen)]


def candidates(who, cluster=None, unit=None, chair=None):
    """The stored people that may be in ``audience(who, ...)``, as ``[(field, values)]``: the people
    whose ``field`` is one of ``values``, read with ``thidua.mongo.find_in``. Every person of the
    audience and few others (the leaders of every level, the other people of its units), so an event
    reads the people it may tell, not the whole province's directory. Each names one indexed field
    (``unit``, ``role`` or ``_id``): a query joining several (``$or``) is read by scanning every
    person on some servers. ``audience`` still picks exactly from what they return together."""
    groups = set(AUDIENCES[who])
    if "all" in groups:
        return [("role", list(UNIT_ROLES + LEADER_ROLES))]
    units = set()
    if "unit" in groups:
        units.add(unit)
    if "heads" in groups and cluster:
        units.update(leading_units(cluster))
    if "members" in groups and cluster:
        units.update(m["unit"] for m in cluster["members"])
    queries = [("unit", sorted(units))] if units else []
    if groups & {"level_leaders", "office"}:
        queries.append(("role", list(LEADER_ROLES)))
    if "chair" in groups and chair:
        queries.append(("_id", [chair]))
    return queries


def needs(who, cluster, unit):
    """What the copy must hold for ``audience(who, ...)``: ``("clusters", code)``, ``("units", code)``
    or ``None``."""
    if who == "everyone":
        return None
    if who == "unit":
        return "units", unit
    return "clusters", cluster
