"""Who reads the audit trail and what it shows them (thidua.audit.trail): no broker, no database."""
import pytest

from thidua import audit
from thidua.caller import Caller
from thidua.errors import Forbidden, Unauthenticated

SIGN_IN = {"_id": "a1", "actor": "canbo.u01", "action": "login", "entity": "session",
           "entity_id": "3f0c-session-id", "before": None, "after": "d1",
           "context": {"address": "10.0.0.7", "event_ids": []}}
FAILED = {"_id": "a2", "actor": "canbo.u01", "action": "login.failed", "entity": "people", "entity_id": "canbo.u01",
          "context": {"address": "10.0.0.9", "locked": False, "event_ids": []}}
REPORT = {"_id": "a3", "actor": "canbo.u01", "action": "report.submit", "entity": "report", "entity_id": "r1",
          "context": {"unit": "U01", "period": "2021-Q2", "event_ids": ["e1"]}}


class Entries:
    """A database whose audit collection holds ``entries`` (the query's filters are not the point here):
    all of them the newest, found by the first query a page asks, none by the older slices after it."""

    def __init__(self, *entries):
        self.entries = entries

    def __getitem__(self, name):
        entries, asked = self.entries, []

        class Found(list):
            def sort(self, *_):
                return self

            def limit(self, n):
                return self[:n]

        class Collection:
            @staticmethod
            def find(filters):
                asked.append(filters)
                return Found(dict(e) for e in entries if len(asked) == 1)
        return Collection()


@pytest.mark.parametrize("role", ["administrator", "standing_office"])
def test_administrators_and_the_standing_office_read_it_without_session_ids_or_addresses(role):
    read = audit.trail(Entries(SIGN_IN, FAILED, REPORT), Caller("p", role))["items"]
    assert [e["action"] for e in read] == ["login", "login.failed", "report.submit"]
    assert "3f0c-session-id" not in str(read) and "10.0.0." not in str(read)
    assert read[0]["entity_id"] is None and read[0]["actor"] == "canbo.u01"
    assert read[1]["context"] == {"locked": False, "event_ids": []}
    assert read[2] == {"id": "a3", **{k: v for k, v in REPORT.items() if k != "_id"}}   # nothing else is withheld


@pytest.mark.parametrize("role", ["provincial_leader", "unit_leader", "unit_officer"])
def test_nobody_else_reads_it(role):
    with pytest.raises(Forbidden, match="administrator or the emulation standing office"):
        audit.trail(Entries(SIGN_IN), Caller("p", role, "U01"))
    with pytest.raises(Unauthenticated):
        audit.trail(Entries(SIGN_IN), Caller.ANONYMOUS)
