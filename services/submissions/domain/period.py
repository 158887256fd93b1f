"""A period (kỳ thi đua: ``2021-Q1``, ``2021``) and each cluster's run of it. Pure: no I/O.

A period is a calendar label shared by every cluster: code, kind, year, label, dates, and the
default deadline and criteria template of its runs. It has no state. Each cluster runs the period
on its own (a :class:`Run`, ``_id = "<cluster>:<period>"``): its state moves by the table of
:mod:`services.submissions.lifecycle`, one action at a time, and may override the period's deadline
and template and name the provincial leader who chairs the cluster's meeting.
"""
from collections import namedtuple

from services.submissions import lifecycle, reports
from services.submissions.reference import moment
from services.submissions.domain import access
from services.submissions.domain.aggregate import Event, bumped, check_version
from thidua.errors import Conflict, InvalidTransition, Problems, ReportsNotReviewed, ValidationFailed, VoteNotClosed

RUN_DEFAULTS = ("deadline", "template")   # what a run takes from its period unless it overrides it
OVERRIDABLE = ("deadline", "template", "chair")
# What ``conclude`` is judged against, read by the service: the cluster, its template, its vote
# session (or None) and its handed-in reports (not drafts), and the moment.
Facts = namedtuple("Facts", "cluster template vote reports now")


def run_id(cluster, period):
    return f"{cluster}:{period}"


def holds_vote(template):
    """A template holds a vote unless its rules say ``"voting": {"enabled": false}``; with no
    ``voting`` at all the default rules apply (threshold and quorum one half)."""
    return (template or {}).get("voting", {}).get("enabled", True) is not False


class Period:
    @staticmethod
    def plan(clean, before, started):
        """The stored period for a (re-)plan, or ``None`` when it is already so. Once one of its
        runs has left PLANNED (``started``), the period is not re-planned."""
        if before == {**clean, "version": (before or {}).get("version")}:
            return None
        if started and before is not None:
            raise Conflict(f"Period {clean['_id']} has started in {', '.join(started)}; "
                           "only a period whose runs are all PLANNED can be re-planned.")
        return {**clean, "version": (before or {}).get("version", 0) + 1}


class Run:
    def __init__(self, document):
        self.document = document

    @staticmethod
    def new(period, cluster):
        """A cluster's run of ``period``: PLANNED, with the period's deadline and template."""
        return {"_id": run_id(cluster["_id"], period["_id"]), "cluster": cluster["_id"], "period": period["_id"],
                "label": period["label"], "year": period["year"], "level": cluster.get("level", "province"),
                "state": "PLANNED", "deadline": period.get("deadline"), "template": period.get("template"),
                "chair": None, "conclusion": None, "reopened": [], "overrides": [], "version": 1}

    def replanned(self, period):
        """The stored run after its period was re-planned (its label, and the defaults it does not
        override), or ``None`` when nothing changes; a run that has started keeps what it has."""
        kept = self.document.get("overrides", [])
        changes = {"label": period["label"], **{k: period.get(k) for k in RUN_DEFAULTS if k not in kept}}
        if self.state != "PLANNED" or all(self.document.get(k) == v for k, v in changes.items()):
            return None
        return bumped(self.document, **changes)

    def override(self, payload, caller, known_templates, known_chairs):
        """The run with its own deadline, template or chair. Deadline and template change while the
        run is PLANNED or OPEN; the chair until the run is concluded."""
        access.require_period_manager(caller)
        if not isinstance(payload, dict):
            raise ValidationFailed("The run's changes must be a JSON object.")
        problems = Problems()
        for key in sorted(set(payload) - {"version", *OVERRIDABLE}):
            problems.add(key, f"unknown field; a run overrides {', '.join(OVERRIDABLE)}")
        changes = self._overrides(payload, problems, known_templates, known_chairs)
        problems.raise_if_any("The run")
        check_version(self.document, payload.get("version"), "run")
        state = self.document["state"]
        if state in lifecycle.FINAL_PERIOD_STATES or ({"deadline", "template"} & set(changes)
                                                       and state not in ("PLANNED", "OPEN")):
            raise InvalidTransition(f"Run {self.document['_id']} is {state}: its deadline and template change "
                                    "while it is PLANNED or OPEN, its chair until it is concluded.")
        overrides = sorted(set(self.document.get("overrides", [])) | set(changes))
        return Run(bumped(self.document, **changes, overrides=overrides))

    @staticmethod
    def _overrides(payload, problems, known_templates, known_chairs):
        changes = {}
        if "deadline" in payload:
            changes["deadline"] = moment(payload, "deadline", problems)
        if "template" in payload:
            template = payload["template"]
            if not isinstance(template, dict) or (template.get("id"), template.get("version")) not in known_templates:
                problems.add("template", "{id, version} of a published criteria template")
            else:
                changes["template"] = {"id": template["id"], "version": template["version"]}
        if "chair" in payload:
            if payload["chair"] is not None and payload["chair"] not in known_chairs:
                problems.add("chair", "the id of a provincial leader, or null")
            changes["chair"] = payload["chair"]
        return changes

    def apply(self, action, payload, caller, facts):
        """Move the run by ``action`` (open, close, start_scoring, start_voting, conclude, archive,
        reopen): the new run and its event. Every refusal changes nothing."""
        if not isinstance(payload, dict):
            raise ValidationFailed("The action's body must be a JSON object.")
        if action not in lifecycle.PERIOD_ACTIONS:
            lifecycle.period_transition(self.state, action)   # raises with the list of actions
        access.require_run_mover(caller, action, self.document)
        text = _argument(action, payload)
        check_version(self.document, payload.get("version"), "run")
        target, event_type = lifecycle.period_transition(self.state, action)
        self._guard(action, facts)
        changes = {"state": target}
        extra = {}
        if action == "conclude":
            changes.update(state="CONCLUDED", concluded_from=self.state,
                           conclusion={"text": text, "by": caller.id, "at": facts.now})
            extra = {"conclusion": changes["conclusion"], "chair": self.document.get("chair")}
        elif action == "reopen":
            step = {"reason": text, "by": caller.id, "at": facts.now, "conclusion": self.document.get("conclusion")}
            changes.update(state=self.document.get("concluded_from") or "VOTING", conclusion=None,
                           reopened=[*self.document.get("reopened", []), step])
            extra = {"reason": text, "by": caller.id}
        after = Run(bumped(self.document, **changes))
        return after, after.event(event_type, facts.cluster, **extra)

    def _guard(self, action, facts):
        """What a move needs beyond the state table: the cluster's vote (or no vote in its rules)
        and, to conclude, every handed-in report settled."""
        voting = holds_vote(facts.template)
        if action == "start_voting" and not voting:
            raise InvalidTransition(f"The rules of {self.document['cluster']}'s template hold no vote: "
                                    "conclude the run from SCORING.")
        if action != "conclude":
            return
        if voting and self.state != "VOTING":
            raise InvalidTransition(f"{self.document['cluster']} votes on {self.document['period']}: start the vote "
                                    f"(start_voting), close it, then conclude; the run is {self.state}.")
        if not voting and self.state != "SCORING":
            raise InvalidTransition(f"The rules of {self.document['cluster']}'s template hold no vote: a run is "
                                    f"concluded from SCORING; it is {self.state}.")
        if voting and (facts.vote is None or facts.vote.get("state") != "CLOSED"):
            raise VoteNotClosed(f"The vote of {self.document['cluster']} for {self.document['period']} is "
                                f"{'not opened' if facts.vote is None else 'still open'}: close it before concluding.")
        pending = sorted(r["unit"] for r in facts.reports if r["status"] not in lifecycle.SETTLED_REPORT_STATES)
        if pending:
            raise ReportsNotReviewed(f"Reports of {', '.join(pending)} are not reviewed yet: review or finalize "
                                     "them, or exclude them with a reason, before concluding.", {"units": pending})

    def event(self, event_type, cluster, **extra):
        run = self.document
        return Event(event_type, {"cluster": run["cluster"], "cluster_name": cluster["name"], "level": run["level"],
                                  "period": run["period"], "label": run["label"], "year": run["year"],
                                  "state": run["state"], "deadline": run.get("deadline"), **extra})

    @property
    def state(self):
        return self.document["state"]

    @property
    def takes_reports(self):
        return self.state in lifecycle.REPORTING_PERIOD_STATES

    @property
    def takes_reviews(self):
        return self.state in lifecycle.REVIEWING_PERIOD_STATES

    @property
    def concluded(self):
        return self.state in lifecycle.FINAL_PERIOD_STATES


def _argument(action, payload):
    """The conclusion's text (kết luận, chỉ đạo) for ``conclude``, the reason for ``reopen``."""
    problems = Problems()
    field = {"conclude": "conclusion", "reopen": "reason"}.get(action)
    for key in sorted(set(payload) - {"version", *([field] if field else [])}):
        problems.add(key, "unknown field")
    text = reports.text(payload.get(field), field, problems, 20_000, required=True) if field else None
    problems.raise_if_any("The action")
    return text
