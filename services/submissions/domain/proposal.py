"""Proposals for commendation (đề nghị khen thưởng) of a cluster's concluded run. Pure: no I/O.

A proposal names one recipient (a collective: a member unit; or an individual, by name, of a
unit), the form and awarding level asked for and why. On conclusion, proposals are drafted from
the meeting's result by the template's ``proposal_rules`` (or :data:`DEFAULT_RULES`), each
naming the rule's source. While DRAFT, the cluster's lead (or the meeting's chair) edits them and
adds more; then submits them to the emulation standing office, which approves or rejects each
with a reason::

    DRAFT -> SUBMITTED -> APPROVED | REJECTED

The result a draft reads (class per unit, leading unit) is :func:`meeting_result`: the ranking
engine applied to the run's handed-in reports and the closed vote's tally, the same pure function
on the same inputs the ranking service's published table comes from, computed in the conclude
transaction itself rather than read from the ranking's copy, which may lag behind the events.
"""
from services.ranking import engine
from services.submissions import reports as contents
from services.submissions.domain import access
from services.submissions.domain.aggregate import Event, bumped, check_version
from thidua.errors import Conflict, Forbidden, InvalidTransition, Problems, ValidationFailed

STATES = ("DRAFT", "SUBMITTED", "APPROVED", "REJECTED")
KINDS = ("collective", "individual")
EDITABLE = ("kind", "unit", "recipient", "form", "level", "reason")
# Used when the template has no proposal_rules of its own. Illustrative, as the demo's template is.
DEFAULT_RULES = [
    {"when": {"leading_unit": True}, "form": "CO_THI_DUA", "level": "MINISTRY", "kind": "collective",
     "source": "Đơn vị dẫn đầu cụm thi đua được đề nghị tặng Cờ thi đua (Luật Thi đua, khen thưởng 06/2022/QH15; "
               "quy tắc mặc định, minh hoạ)"},
    {"when": {"class": "XUAT_SAC"}, "form": "BANG_KHEN", "level": "PROVINCE", "kind": "collective",
     "source": "Đơn vị xếp loại Xuất sắc được đề nghị tặng Bằng khen (quy tắc mặc định, minh hoạ)"},
]
RANKED = ("SUBMITTED", "RESUBMITTED", "REVIEWED", "FINALIZED")   # as the ranking counts them
REPORT_INPUTS = ("unit", "submitted_at", "late", "version", "values", "self_scores", "violations",
                 "commendations", "review")


# --------------------------------------------------------------------------- rules

def check_rules(rules, levels=None):
    """The template's ``proposal_rules``, or :class:`ValidationFailed` naming what to fix."""
    if rules is None:
        return None
    problems = Problems()
    if not isinstance(rules, list) or not rules:
        problems.add("proposal_rules", "a non-empty list of {when, form, level, kind, source}")
        problems.raise_if_any("The proposal rules")
    for index, rule in enumerate(rules):
        field = f"proposal_rules[{index}]"
        if not isinstance(rule, dict):
            problems.add(field, "must be an object")
            continue
        for key in sorted(set(rule) - {"when", "form", "level", "kind", "source", "reason"}):
            problems.add(f"{field}.{key}", "unknown field")
        when = rule.get("when")
        if not (isinstance(when, dict) and len(when) == 1 and (
                when.get("leading_unit") is True or isinstance(when.get("class"), str))):
            problems.add(f"{field}.when", "{\"leading_unit\": true} or {\"class\": <level code>}")
        elif levels is not None and "class" in when and when["class"] not in levels:
            problems.add(f"{field}.when.class", f"one of {', '.join(levels)}")
        _check_award(rule.get("form"), rule.get("level"), rule.get("kind", "collective"), field, problems)
        contents.text(rule.get("source"), f"{field}.source", problems, 2000, required=True)
    problems.raise_if_any("The proposal rules")
    return rules


def _check_award(form, level, kind, field, problems):
    if form not in contents.COMMENDATION_FORMS:
        problems.add(f"{field}.form", f"one of {', '.join(contents.COMMENDATION_FORMS)}")
    elif level not in contents.COMMENDATION_FORMS[form]:
        problems.add(f"{field}.level", f"a {form} comes from {', '.join(contents.COMMENDATION_FORMS[form])}")
    if kind not in KINDS:
        problems.add(f"{field}.kind", "collective (tập thể) or individual (cá nhân)")
    elif contents.TITLE_KINDS.get(form, kind) != kind:
        problems.add(f"{field}.kind", f"a {form} goes to {contents.TITLE_KINDS[form]}s only")


# --------------------------------------------------------------------------- the result

def meeting_result(template, reports, tally, unit_names):
    """``{"classes": {unit: level}, "leader": unit or None, "leader_status": ...}`` of a run: the
    ranking engine on its handed-in reports and the closed vote's tally (None without a vote)."""
    ranked = [{k: r.get(k) for k in REPORT_INPUTS} | {"unit_name": unit_names.get(r["unit"], r["unit"])}
              for r in reports if r.get("status") in RANKED]
    if not ranked:
        return {"classes": {}, "leader": None, "leader_status": "none", "table": []}
    result = engine.compute(template, ranked, tally)
    return {"classes": {row["unit"]: row["class"] for row in result["table"]}, "leader": result["leader"],
            "leader_status": result["leader_status"], "table": result["table"]}


def draft(result, rules, run, unit_names, now, new_id, class_names=None):
    """The proposals ``rules`` draw from ``result`` (rules in order, units in rank order);
    ``new_id()`` gives each its id; ``class_names`` names the classes of the template."""
    drafts = []
    for rule in rules or DEFAULT_RULES:
        when = rule["when"]
        if when.get("leading_unit"):
            units = [result["leader"]] if result["leader"] and result["leader_status"] == "elected" else []
        else:
            units = [row["unit"] for row in result["table"] if row["class"] == when["class"]]
        for unit in units:
            drafts.append(_new(new_id(), run, {
                "kind": rule.get("kind", "collective"), "unit": unit, "recipient": unit_names.get(unit, unit),
                "form": rule["form"], "level": rule["level"],
                "reason": rule.get("reason") or _reason(when, class_names or {})}, "rule", rule["source"], None, now))
    return drafts


def _reason(when, class_names):
    if when.get("leading_unit"):
        return "Đơn vị dẫn đầu cụm thi đua, được hội nghị bầu"
    return f"Xếp loại {class_names.get(when['class'], when['class'])} trong kỳ"


def _new(proposal_id, run, fields, origin, source, by, now):
    return {"_id": proposal_id, "cluster": run["cluster"], "period": run["period"], "state": "DRAFT", **fields,
            "origin": origin, "source": source, "created_by": by, "created_at": now, "submitted_by": None,
            "submitted_at": None, "decision": None, "version": 1}


def require_redraftable(run, existing):
    """Drafting again is for a CONCLUDED run none of whose proposals has been submitted."""
    _require_concluded(run)
    if any(p["state"] != "DRAFT" for p in existing):
        raise Conflict(f"Proposals of {run['cluster']} for {run['period']} have been submitted; "
                       "they can no longer be drafted again.")


def _require_concluded(run):
    if run["state"] != "CONCLUDED":
        raise InvalidTransition(f"Proposals are drafted and edited once the run is CONCLUDED; it is {run['state']}.")


# --------------------------------------------------------------------------- who

def require_proposer(caller, cluster, run):
    """The cluster's lead and deputy, and the chair of its meeting."""
    if not (access.leads_cluster(caller, cluster) or (run.get("chair") and caller.id == run["chair"])):
        raise Forbidden(f"Only the lead or deputy unit of {cluster['_id']} or the chair of its meeting "
                        "may draft, edit or submit its proposals.")


def require_approver(caller):
    if caller.role != "standing_office":
        raise Forbidden("Only the emulation standing office approves or rejects proposals.")


# --------------------------------------------------------------------------- the aggregate

def clean_fields(payload, members, partial=False):
    """The editable fields of a proposal from ``payload``; ``partial``: only those given."""
    if not isinstance(payload, dict):
        raise ValidationFailed("The proposal must be a JSON object.")
    problems = Problems()
    for key in sorted(set(payload) - set(EDITABLE) - {"version"}):
        problems.add(key, "unknown field")
    given = {k: payload[k] for k in EDITABLE if k in payload or not partial}
    if "unit" in given and given["unit"] is not None and given["unit"] not in members:
        problems.add("unit", "a member unit of this cluster")
    for key in ("recipient", "reason"):
        if key in given:
            given[key] = contents.text(given[key], key, problems, 2000 if key == "reason" else 300, required=True)
    problems.raise_if_any("The proposal")
    return given


class Proposal:
    def __init__(self, document):
        self.document = document

    @staticmethod
    def add(fields, run, caller, now, proposal_id):
        _require_concluded(run)
        proposal = Proposal(_new(proposal_id, run, fields, "manual", None, caller.id, now))
        proposal._check_whole()
        return proposal, proposal.event("proposal.drafted.v1")

    def edit(self, fields, run, expected_version):
        _require_concluded(run)
        check_version(self.document, expected_version, "proposal")
        self._require("DRAFT", "edited")
        after = Proposal(bumped(self.document, **fields))
        after._check_whole()
        return after, after.event("proposal.updated.v1")

    def submit(self, caller, now):
        self._require("DRAFT", "submitted")
        after = Proposal(bumped(self.document, state="SUBMITTED", submitted_by=caller.id, submitted_at=now))
        return after, after.event("proposal.submitted.v1")

    def decide(self, approve, reason, caller, now, expected_version):
        require_approver(caller)
        check_version(self.document, expected_version, "proposal")
        self._require("SUBMITTED", "approved or rejected")
        problems = Problems()
        reason = contents.text(reason, "reason", problems, 2000, required=not approve)
        problems.raise_if_any("The decision")
        state = "APPROVED" if approve else "REJECTED"
        after = Proposal(bumped(self.document, state=state,
                                decision={"by": caller.id, "at": now, "reason": reason}))
        return after, after.event(f"proposal.{state.lower()}.v1", reason=reason)

    def _require(self, state, what):
        if self.document["state"] != state:
            raise InvalidTransition(f"A proposal can be {what} only while {state}; this one is "
                                    f"{self.document['state']}.")

    def _check_whole(self):
        problems, doc = Problems(), self.document
        _check_award(doc.get("form"), doc.get("level"), doc.get("kind"), "proposal", problems)
        if doc.get("kind") == "collective" and not doc.get("unit"):
            problems.add("unit", "required for a collective: the member unit proposed")
        for key in ("recipient", "reason"):
            if not doc.get(key):
                problems.add(key, "required")
        named = Problems()
        for key, message in problems.fields.items():
            named.add(key.removeprefix("proposal."), message)
        named.raise_if_any("The proposal")

    def event(self, event_type, **extra):
        doc = self.document
        return Event(event_type, {"proposal_id": doc["_id"], "cluster": doc["cluster"], "period": doc["period"],
                                  "state": doc["state"], "kind": doc["kind"], "unit": doc.get("unit"),
                                  "recipient": doc["recipient"], "form": doc["form"], "level": doc["level"],
                                  "award": contents.award_name(doc["form"], doc["level"]),
                                  "version": doc["version"], **extra})


def rollup(proposals):
    """Per form and level: ``{form: {level: {"collective": n, "individual": n}}}`` of the
    proposals not rejected, like the article's figures."""
    totals = {}
    for p in proposals:
        if p["state"] != "REJECTED":
            bucket = totals.setdefault(p["form"], {}).setdefault(p["level"], {"collective": 0, "individual": 0})
            bucket[p["kind"]] += 1
    return totals
