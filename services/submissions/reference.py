"""Reference data an administrator keeps: units, clusters with their yearly members,
periods, people. Pure checks: no I/O."""
from datetime import datetime

from services.submissions.domain.proposal import check_rules as check_proposal_rules
from services.submissions.reports import code, text
from thidua.criteria import TEMPLATE_FIELDS, TemplateInvalid, validate_template
from thidua.errors import Problems, ValidationFailed

UNIT_TYPES = ("department", "district", "provincial_force", "other")
MEMBER_ROLES = ("lead", "deputy", "member")  # cụm trưởng, cụm phó, thành viên
PERIOD_KINDS = ("quarter", "half_year", "year")
PERSON_ROLES = ("administrator", "provincial_leader", "standing_office", "unit_leader", "unit_officer")
LEVELS = ("province", "ministry")  # internal clusters of a provincial force; the Ministry's clusters of forces


def _object(payload, what):
    if not isinstance(payload, dict):
        raise ValidationFailed(f"{what} must be a JSON object.")


def _named(payload, what, allowed, key="code"):
    """The start every named reference document shares: an object of known fields with its code
    (or id) and its name. Returns the problems found so far and those two fields."""
    _object(payload, what)
    problems = Problems()
    _fields(payload, allowed, problems)
    return problems, {"_id": code(payload.get(key), key, problems),
                      "name": text(payload.get("name"), "name", problems, 200, True)}


def _fields(payload, allowed, problems):
    for key in sorted(set(payload) - set(allowed)):
        problems.add(key, "unknown field")


def _checked(clean, payload, illustrative, problems, what):
    """The clean document, marked illustrative where the source is (the demo's invented parts),
    or the refusal naming every problem found."""
    if payload.get(illustrative):
        clean[illustrative] = True
    problems.raise_if_any(what)
    return clean


def _year(payload, problems):
    year = payload.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        problems.add("year", "a year like 2021")
    return year


def moment(payload, field, problems, required=True):
    value = payload.get(field)
    if value is None:
        if required:
            problems.add(field, "required, e.g. 2021-04-10T17:00:00+07:00")
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        problems.add(field, "a date and time with its offset, e.g. 2021-04-10T17:00:00+07:00")
        return None
    return moment


def unit(payload):
    problems, clean = _named(payload, "A unit", ("code", "name", "type", "parent", "illustrative"))
    clean = {**clean, "type": payload.get("type", "department"),
             "parent": code(payload.get("parent"), "parent", problems, required=False)}
    if clean["type"] not in UNIT_TYPES:
        problems.add("type", f"one of {', '.join(UNIT_TYPES)}")
    return _checked(clean, payload, "illustrative", problems, "The unit")


def cluster(payload, known_units):
    problems, clean = _named(payload, "A cluster",
                             ("code", "name", "level", "force", "year", "members", "illustrative_members"))
    clean = {**clean, "level": payload.get("level", "province"),
             "force": text(payload.get("force"), "force", problems, 200),
             "year": _year(payload, problems), "members": []}
    if clean["level"] not in LEVELS:
        problems.add("level", f"one of {', '.join(LEVELS)}")
    members = payload.get("members")
    if not isinstance(members, list) or not members:
        problems.add("members", "a non-empty list of {unit, role}")
        members = []
    seen = set()
    for index, member in enumerate(members):
        field = f"members[{index}]"
        if not isinstance(member, dict) or member.get("role") not in MEMBER_ROLES:
            problems.add(field, f"{{unit, role}} with role one of {', '.join(MEMBER_ROLES)}")
            continue
        if member.get("unit") not in known_units:
            problems.add(f"{field}.unit", "unknown unit")
        elif member["unit"] in seen:
            problems.add(f"{field}.unit", "listed twice")
        seen.add(member.get("unit"))
        clean["members"].append({"unit": member.get("unit"), "role": member["role"]})
    for role in ("lead", "deputy"):
        if sum(1 for m in clean["members"] if m["role"] == role) > 1:
            problems.add("members", f"a cluster has at most one {role} unit")
    return _checked(clean, payload, "illustrative_members", problems, "The cluster")


def period(payload, known_templates):
    """A new or re-planned period: a calendar label with the default deadline and template of its
    clusters' runs (a period has no state; each cluster's run has, see ``domain/period.py``)."""
    _object(payload, "A period")
    problems = Problems()
    _fields(payload, ("code", "kind", "year", "label", "starts_on", "ends_on", "deadline", "template",
                      "illustrative_dates", "state"), problems)   # a state sent is not kept
    clean = {"_id": code(payload.get("code"), "code", problems), "kind": payload.get("kind"),
             "year": _year(payload, problems), "label": text(payload.get("label"), "label", problems, 100, True),
             "starts_on": moment(payload, "starts_on", problems),
             "ends_on": moment(payload, "ends_on", problems),
             "deadline": moment(payload, "deadline", problems)}
    if clean["kind"] not in PERIOD_KINDS:
        problems.add("kind", f"one of {', '.join(PERIOD_KINDS)}")
    if clean["starts_on"] and clean["ends_on"] and clean["ends_on"] <= clean["starts_on"]:
        problems.add("ends_on", "must be after starts_on")
    template = payload.get("template")
    if not isinstance(template, dict) or (template.get("id"), template.get("version")) not in known_templates:
        problems.add("template", "{id, version} of a published criteria template")
    else:
        clean["template"] = {"id": template["id"], "version": template["version"]}
    return _checked(clean, payload, "illustrative_dates", problems, "The period")


def person(payload, known_units):
    problems, clean = _named(payload, "A person",
                             ("id", "name", "title", "role", "unit", "email", "illustrative", "demo"), key="id")
    clean = {**clean, "title": text(payload.get("title"), "title", problems, 200),
             "role": payload.get("role"), "unit": payload.get("unit"),
             "email": text(payload.get("email"), "email", problems, 200)}
    if clean["role"] not in PERSON_ROLES:
        problems.add("role", f"one of {', '.join(PERSON_ROLES)}")
    if clean["role"] in ("unit_leader", "unit_officer") and clean["unit"] not in known_units:
        problems.add("unit", "the person's unit (a known unit code)")
    if clean["unit"] is not None and clean["unit"] not in known_units:
        problems.add("unit", "unknown unit")
    if payload.get("demo"):
        clean["demo"] = True   # a demo account: it may sign in only while the platform runs in demo mode
    return _checked(clean, payload, "illustrative", problems, "The person")


def template(payload):
    """A criteria template to publish: its identity here, its structure by the shared contract."""
    _object(payload, "A criteria template")
    problems = Problems()
    _fields(payload, TEMPLATE_FIELDS, problems)
    clean = dict(payload)
    clean["id"] = code(payload.get("id"), "id", problems)
    clean["name"] = text(payload.get("name"), "name", problems, 300, True)
    clean["source"] = text(payload.get("source"), "source", problems, 2000)
    problems.raise_if_any("The criteria template")
    try:
        checked = validate_template(clean)
    except TemplateInvalid as exc:
        raise ValidationFailed(f"The criteria template cannot be used: {exc}.", {"template": str(exc)})
    check_proposal_rules(clean.get("proposal_rules"), checked.levels)
    return clean
