"""The middle layer: submissions entrypoints driven with nameko's ``worker_factory``, the caller
and the unit of work replaced by in-memory fakes (no broker, no database). They load, call the
aggregate and save the change with its audit entry and events through the unit of work."""
import pytest
from nameko.testing.services import worker_factory

from services.submissions.service import SubmissionsService
from thidua.caller import Caller
from thidua.errors import Forbidden, StaleVersion, UnknownPeriod


class FakeTransaction:
    """What ``thidua.uow.Transaction`` offers, over dicts: documents by collection and id."""

    def __init__(self, documents):
        self.documents, self.recorded, self.session = documents, [], None

    def find_one(self, collection, query, *args, **kwargs):
        return next((dict(d) for d in self.documents.get(collection, {}).values()
                     if all(d.get(k) == v for k, v in query.items())), None)

    def insert(self, collection, document):
        self.documents.setdefault(collection, {})[document["_id"]] = document
        return document

    def replace(self, collection, before, after):
        if self.documents[collection][before["_id"]].get("version") != before.get("version"):
            raise StaleVersion("changed meanwhile")
        self.documents[collection][before["_id"]] = after
        return after

    def record(self, action, entity, entity_id, before, after, context=None, events=()):
        self.recorded.append((action, entity_id, [e["type"] for e in events]))


class FakeUnitOfWork:
    def __init__(self, documents):
        self.tx = FakeTransaction(documents)

    def run(self, work, **kwargs):
        return work(self.tx)

    def as_actor(self, actor_id):
        return self


def service(caller, **documents):
    uow = FakeUnitOfWork(documents)
    return worker_factory(SubmissionsService, caller=caller, uow=uow, correlation_id="test"), uow.tx


PERIOD = {"_id": "2021-Q1", "label": "Quý I/2021", "year": 2021, "version": 1}
CLUSTER = {"_id": "CUM-01", "name": "Cụm thi đua số 1", "level": "province", "members": []}
RUN = {"_id": "CUM-01:2021-Q1", "cluster": "CUM-01", "period": "2021-Q1", "label": "Quý I/2021", "year": 2021,
       "level": "province", "state": "PLANNED", "deadline": None, "template": {"id": "T", "version": 1},
       "chair": None, "conclusion": None, "reopened": [], "version": 1}
OFFICE = Caller("trung.th", "standing_office")


def reference(**more):
    return {"periods": {"2021-Q1": PERIOD}, "clusters": {"CUM-01": CLUSTER}, "runs": {RUN["_id"]: RUN}, **more}


def test_moving_a_clusters_run_saves_it_with_its_audit_entry_and_event():
    svc, tx = service(OFFICE, **reference())
    assert svc.transition_run("CUM-01", "2021-Q1", "open", {"version": 1})["state"] == "OPEN"
    assert tx.documents["runs"]["CUM-01:2021-Q1"]["version"] == 2
    assert tx.recorded == [("period.open", "CUM-01:2021-Q1", ["period.opened.v2"])]


@pytest.mark.parametrize("caller, code, error", [(Caller("x", "unit_leader", "U01"), "2021-Q1", Forbidden),
                                                 (OFFICE, "2030-Q9", UnknownPeriod)])
def test_a_refused_move_writes_nothing(caller, code, error):
    svc, tx = service(caller, **reference())
    with pytest.raises(error):
        svc.transition_run("CUM-01", code, "open", {"version": 1})
    assert tx.documents["runs"]["CUM-01:2021-Q1"] == RUN and tx.recorded == []


def test_signing_out_ends_only_the_callers_own_session():
    sessions = {"s1": {"_id": "s1", "person": "canbo.u02", "revoked_at": None},
                "s2": {"_id": "s2", "person": "other", "revoked_at": None}}
    svc, tx = service(Caller("canbo.u02", "unit_officer", "U02"), sessions=sessions)
    assert svc.logout("s1") == {"session": "s1", "revoked": True}
    assert svc.logout("s2") == {"session": "s2", "revoked": True}   # says nothing of whose session it is
    assert tx.documents["sessions"]["s1"]["revoked_at"] is not None
    assert tx.documents["sessions"]["s2"]["revoked_at"] is None
    assert tx.recorded == [("logout", "s1", [])]


def test_nameko_run_finds_one_service_in_the_module():
    """`nameko run services.submissions.service` takes every class with entrypoints there for a service."""
    from nameko.cli.run import import_service
    assert import_service("services.submissions.service") == [SubmissionsService]
