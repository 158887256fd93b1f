"""Each cluster's run of a period (``domain/period.py``): read, given its own deadline, template or
chair, and moved through its states, one cluster at a time or all the clusters of a level at once."""
from services.submissions import lifecycle, store
from services.submissions.domain import access
from services.submissions.domain.period import Facts, Run
from services.submissions.reference import LEVELS
from thidua.errors import DomainError, ValidationFailed
from thidua.events import utcnow
from thidua.mongo import public
from thidua.rpc import rpc


def _context(run):
    return {"period": run["period"], "cluster": run["cluster"]}


class Runs:
    @rpc
    def get_run(self, cluster_code, period_code):
        """A cluster's run of a period: state, deadline, template, chair, conclusion, reopenings."""
        self.caller.require()
        return public(self._run(cluster_code, period_code))

    @rpc
    def list_runs(self, period_code):
        self.caller.require()
        self._get("periods", period_code)
        return [public(r) for r in self.db.runs.find({"period": period_code}).sort("cluster")]

    @rpc
    def set_run(self, cluster_code, period_code, payload):
        """The run's own deadline or template (while PLANNED or OPEN) or chair (until concluded)."""
        caller = self.caller.require()
        templates = {(t["id"], t["version"]) for t in self.db.templates.find({}, {"id": 1, "version": 1})}
        chairs = {p["_id"] for p in self.db.people.find({"role": "provincial_leader"}, {"_id": 1})}

        def work(tx):
            run = Run(self._run(cluster_code, period_code, tx))
            changed = run.override(payload, caller, templates, chairs)
            return public(self._save(tx, "runs", run.document, changed.document, "run.override", "run",
                                     _context(run.document)))
        return self.uow.run(work)

    @rpc
    def transition_run(self, cluster_code, period_code, action, payload):
        """Move one cluster's run: ``payload`` holds the run's ``version`` and, to conclude, the
        ``conclusion`` text; to reopen, the ``reason``."""
        caller = self.caller.require()
        return self.uow.run(lambda tx: self._move(tx, cluster_code, period_code, action, payload, caller))

    def _move(self, tx, cluster_code, period_code, action, payload, caller):
        run = Run(self._run(cluster_code, period_code, tx))
        moved, event = run.apply(action, payload, caller, self._facts(tx, run.document))
        saved = self._save(tx, "runs", run.document, moved.document, f"period.{action}", "run",
                           _context(run.document), [event])
        if action == "conclude":   # the meeting's proposals for commendation, drafted from its result
            self.draft_on_conclusion(tx, cluster_code, period_code)
        return public(saved)

    def _facts(self, tx, run):
        """What a move of ``run`` is judged against (see :class:`Facts`)."""
        session = tx.session
        template = store.template(self.db, run["template"]["id"], run["template"]["version"], session)
        handed_in = list(self.db.reports.find({"cluster": run["cluster"], "period": run["period"],
                                               "status": {"$ne": "DRAFT"}}, {"unit": 1, "status": 1}, session=session))
        return Facts(self._get("clusters", run["cluster"], tx), template,
                     tx.find_one("vote_sessions", {"cluster": run["cluster"], "period": run["period"]}), handed_in,
                     utcnow())

    @rpc
    def transition_level(self, period_code, action, level, payload):
        """Move every cluster's run of ``level`` at once, each on its own: ``{results: [{cluster, ok,
        state | error}]}``. ``payload.expected`` maps a cluster to the run version its caller saw;
        a cluster it does not name is moved from its current version."""
        caller = self.caller.require()
        access.require_period_manager(caller)   # the standing office (or an administrator) moves a whole level
        expected, rest = _level_arguments(payload, level)
        self._get("periods", period_code)
        runs = list(self.db.runs.find({"period": period_code, "level": level}).sort("cluster"))
        return {"period": period_code, "level": level, "action": action,
                "results": [self._move_one(run, action, {**rest, "version": expected.get(run["cluster"],
                                                                                        run["version"])}, caller)
                            for run in runs]}

    def _move_one(self, run, action, payload, caller):
        try:
            # A run whose state the action cannot leave (most of a level, when a few clusters are
            # new) is answered from the state just read, without a transaction of its own, so
            # only the clusters that move cost one.
            lifecycle.period_transition(run["state"], action)
            moved = self.uow.run(lambda tx: self._move(tx, run["cluster"], run["period"], action, payload, caller))
        except DomainError as exc:
            return {"cluster": run["cluster"], "ok": False,
                    "error": {"code": exc.code, "message": exc.message, "details": exc.details}}
        return {"cluster": run["cluster"], "ok": True, "state": moved["state"], "version": moved["version"]}


def _level_arguments(payload, level):
    """The versions the caller saw (``expected``) and the rest of the action's body."""
    if level not in LEVELS:
        raise ValidationFailed(f"level: one of {', '.join(LEVELS)}.", {"fields": {"level": "unknown level"}})
    if not isinstance(payload, dict):
        raise ValidationFailed("The action's body must be a JSON object.")
    expected = payload.get("expected") or {}
    if not isinstance(expected, dict):
        raise ValidationFailed("expected: an object of cluster code -> run version.",
                               {"fields": {"expected": "an object of cluster code -> version"}})
    return expected, {k: v for k, v in payload.items() if k not in ("expected", "version")}
