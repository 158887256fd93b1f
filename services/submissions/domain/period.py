"""A period run (kỳ thi đua): planned, then moved through its states one action at a time.
Pure: no I/O. The state table is :mod:`services.submissions.lifecycle`'s."""
from services.submissions import lifecycle
from services.submissions.domain import access
from services.submissions.domain.aggregate import Event, bumped, check_version
from thidua.errors import Conflict


class Period:
    def __init__(self, document):
        self.document = document

    @staticmethod
    def plan(clean, before):
        """The stored period for a (re-)plan, or ``None`` when it is already so. A new period
        starts PLANNED; a known one keeps its version, and only a PLANNED one may change."""
        if before is not None and before["state"] != "PLANNED":
            if {k: before.get(k) for k in clean} == clean:
                return None
            raise Conflict(f"Period {clean['_id']} is {before['state']}; only a PLANNED period can be re-planned.")
        document = {**clean, "state": "PLANNED", "version": (before or {}).get("version", 0)}
        if before == document:
            return None
        return {**document, "version": document["version"] + 1}

    def apply(self, action, caller, expected_version):
        """Move the period by ``action`` (open, close, start_scoring, ...): the new period and its event."""
        access.require_period_manager(caller)
        check_version(self.document, expected_version, "period")
        state, event_type = lifecycle.period_transition(self.document["state"], action)
        after = bumped(self.document, state=state)
        return Period(after), Event(event_type, {"period": after["_id"], "label": after["label"], "state": state,
                                                 "year": after["year"]})

    @property
    def takes_reports(self):
        return self.document["state"] in lifecycle.REPORTING_PERIOD_STATES

    @property
    def takes_reviews(self):
        return self.document["state"] in lifecycle.REVIEWING_PERIOD_STATES
