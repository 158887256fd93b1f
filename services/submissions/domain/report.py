"""A unit's periodic report (báo cáo định kỳ): created as a draft or handed in at once,
changed while it is the unit's to change, then moved by its lifecycle's actions. Pure.

DRAFT -> SUBMITTED -> (RETURNED -> RESUBMITTED)* -> REVIEWED -> FINALIZED (the table is
:mod:`services.submissions.lifecycle`'s). Each method checks who acts (:mod:`.access`),
what they send (:mod:`services.submissions.reports`) and the period's state, and returns
the changed report with the event its change raises.
"""
from collections import namedtuple

from services.submissions import lifecycle, reports
from services.submissions.reference import moment
from services.submissions.domain import access
from services.submissions.domain.aggregate import Event, bumped, check_version
from services.submissions.domain.period import Run
from thidua.errors import PeriodNotOpen, Problems, RunConcluded, ValidationFailed

# What a report is judged against: its unit, its cluster's run of the period (``domain/period.py``),
# the cluster and the run's template.
Scope = namedtuple("Scope", "unit run cluster template")
ACTION_FIELDS = {"return": {"version", "reason"}, "review": {"version", "review"}, "exclude": {"version", "reason"}}
REASONED = ("return", "exclude")


def require_not_concluded(run):
    """After the conclusion nothing changes a run's reports or vote (nor its ranking): reopen it first."""
    if Run(run).concluded:
        raise RunConcluded(f"{run['cluster']}'s {run['period']} is {run['state']}: its reports and vote stay as "
                           "concluded; the standing office or the chair may reopen it, with a reason.")


def identify(payload, extra=("draft",)):
    """The unit and period a new report is for; the rest of it is checked against its template.
    ``extra``: the other fields it may have (``draft``; a past report's ``submitted_at``, ``source``)."""
    problems = Problems()
    unit, period = reports.validate_identity(payload, problems)
    for key in sorted(set(payload) - {"unit", "period", *extra, *reports.CONTENT_FIELDS}):
        problems.add(key, "unknown field")
    problems.raise_if_any("The report")
    return unit, period


def _content(payload, template, problems):
    content = reports.validate_content(payload, template, problems)
    problems.raise_if_any("The report")
    return {**content, "self_total": reports.self_total(content["self_scores"])}


class Report:
    def __init__(self, document):
        self.document = document

    @property
    def status(self):
        return self.document["status"]

    @classmethod
    def new(cls, payload, caller, scope, now, report_id, correlation_id):
        """A unit's report for the period: a draft (``"draft": true``) or handed in at once,
        flagged late after the deadline."""
        access.require_unit_officer(caller, scope.unit["_id"], "create its report")
        content = _content(payload, scope.template, Problems())
        draft = payload.get("draft") is True
        require_not_concluded(scope.run)
        if not draft and not Run(scope.run).takes_reports:
            raise PeriodNotOpen(f"{scope.cluster['_id']}'s {scope.run['period']} is {scope.run['state']}: reports "
                                "are handed in while it is OPEN (or, flagged late, CLOSED or SCORING).")
        return cls._made(content, caller, scope, now, report_id, correlation_id, None if draft else now, "portal")

    @classmethod
    def backfill(cls, payload, caller, scope, now, report_id, correlation_id):
        """A past report an administrator imports with its real hand-in time and source: handed in
        (SUBMITTED), late only if that time is after the run's deadline."""
        access.require_admin(caller, "import past reports")
        problems = Problems()
        content = reports.validate_content(payload, scope.template, problems)
        handed_in = moment(payload, "submitted_at", problems)
        source = reports.code(payload.get("source", "backfill"), "source", problems)
        if handed_in is not None and handed_in > now:
            problems.add("submitted_at", "a moment in the past")
        problems.raise_if_any("The report")
        require_not_concluded(scope.run)
        content["self_total"] = reports.self_total(content["self_scores"])
        return cls._made(content, caller, scope, now, report_id, correlation_id, handed_in, source)

    @classmethod
    def _made(cls, content, caller, scope, now, report_id, correlation_id, submitted_at, source):
        status = "DRAFT" if submitted_at is None else "SUBMITTED"
        report = cls({
            "_id": report_id, "unit": scope.unit["_id"], "cluster": scope.cluster["_id"],
            "period": scope.run["period"], "template": scope.run["template"], **content, "review": {},
            "status": status, "version": 1, "created_at": now, "created_by": caller.id, "source": source,
            "submitted_at": submitted_at,
            "late": submitted_at is not None and reports.is_late(submitted_at, scope.run["deadline"]),
            "return_reason": None, "history": [{"status": status, "at": now, "by": caller.id}],
            "correlation_id": correlation_id,
        })
        return report, ([] if submitted_at is None else [report.event("report.submitted.v1", scope)])

    def update(self, payload, caller, scope):
        """The unit changes its draft or returned report (optimistic concurrency on ``version``)."""
        if not isinstance(payload, dict):
            raise ValidationFailed("The report must be a JSON object.")
        problems = Problems()
        for key in sorted(set(payload) - {"version", *reports.CONTENT_FIELDS}):
            problems.add(key, "unknown field (unit and period of a report cannot change)")
        access.require_unit_officer(caller, self.document["unit"], "change its report")
        require_not_concluded(scope.run)
        content = _content(payload, scope.template, problems)
        check_version(self.document, payload.get("version"), "report")
        if self.status not in lifecycle.EDITABLE_REPORT_STATES:
            raise lifecycle.InvalidTransition(
                f"A report can be changed only while it is DRAFT or RETURNED; it is {self.status}.")
        return Report(bumped(self.document, **content))

    def apply(self, action, payload, caller, scope, now):
        """Move the report: ``submit`` (or resubmit), ``return`` (with a reason), ``review`` (the
        cluster lead's scores per criterion, with comments, merged into earlier ones) or
        ``finalize`` (locks it)."""
        if not isinstance(payload, dict):
            raise ValidationFailed("The action's body must be a JSON object.")
        if action not in lifecycle.REPORT_ACTIONS:
            lifecycle.report_transition(self.status, action)   # raises with the list of actions
        access.require_report_actor(caller, action, self.document, scope.cluster)
        reason, review = self._arguments(action, payload, scope.template)
        require_not_concluded(scope.run)
        run = Run(scope.run)
        if not (run.takes_reports if action == "submit" else run.takes_reviews):
            raise PeriodNotOpen(f"{scope.cluster['_id']}'s {scope.run['period']} is {scope.run['state']}: a report "
                                f"cannot be {lifecycle.action_past(action)} now.")
        check_version(self.document, payload.get("version"), "report")
        status, event_type = lifecycle.report_transition(self.status, action)
        step = {"status": status, "at": now, "by": caller.id, **({"reason": reason} if reason else {})}
        after = bumped(self.document, status=status, history=[*self.document["history"], step])
        if action == "submit":
            after.update(submitted_at=now, late=reports.is_late(now, scope.run["deadline"]), return_reason=None)
        elif action in REASONED:
            after["return_reason" if action == "return" else "excluded_reason"] = reason
        elif action == "review":
            after.update(review={**self.document["review"], **review}, reviewed_by=caller.id)
        changed = Report(after)
        return changed, changed.event(event_type, scope, **({"reason": reason} if action in REASONED else {}))

    @staticmethod
    def _arguments(action, payload, template):
        problems = Problems()
        for key in sorted(set(payload) - ACTION_FIELDS.get(action, {"version"})):
            problems.add(key, "unknown field")
        reason = reports.text(payload.get("reason"), "reason", problems, 2000, required=True) \
            if action in REASONED else None
        review = reports.validate_review(payload.get("review", {}), template, problems) if action == "review" else {}
        problems.raise_if_any("The action")
        return reason, review

    def event(self, event_type, scope, **extra):
        """The report's event: the whole report as consumers need it, named as people read it
        (moments stay datetimes here; the envelope writes them out)."""
        report = self.document
        data = {
            "report_id": report["_id"], "unit": report["unit"], "unit_name": scope.unit["name"],
            "cluster": scope.cluster["_id"], "cluster_name": scope.cluster["name"], "period": report["period"],
            "status": report["status"], "version": report["version"], "template": report["template"],
            "values": report["values"], "self_scores": report["self_scores"], "review": report["review"],
            "violations": report["violations"], "commendations": report["commendations"],
            "submitted_at": report["submitted_at"], "late": report["late"], "source": report.get("source", "portal"),
            **extra,
        }
        if event_type == "report.submitted.v1":
            data.update(scores=report["self_scores"], total=report["self_total"])
        return Event(event_type, data)

