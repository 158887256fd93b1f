"""Property: any sequence of commands, good or bad, leaves the submissions service in a
valid state and never loses a report it accepted. Run against the real service."""
import itertools
import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from nameko.containers import ServiceContainer

from scripts.launcher import create_vhost, delete_vhost
from services.submissions import lifecycle
from services.submissions.service import SubmissionsService
from thidua import config
from thidua.mongo import client_for
from thidua.errors import DomainError
from tests.helpers import TEMPLATE_REF, demo_reference
from tests.integration.test_submissions import Client, LEAD, LOADER, OFFICE, officer

pytestmark = pytest.mark.integration
UNITS = ("U01", "U03")
_periods = itertools.count(1)
ARGUMENTS = {"conclude": {"conclusion": "Kết luận"}, "reopen": {"reason": "Sửa"}}

UNIT = st.sampled_from(UNITS)
create = st.tuples(st.just("create"), UNIT, st.booleans())
update = st.tuples(st.just("update"), UNIT, st.booleans())
# Mostly the right person for the action, sometimes anyone: both paths must hold.
act = st.tuples(st.just("act"), UNIT, st.sampled_from(sorted(lifecycle.REPORT_ACTIONS)),
                st.sampled_from(("own", "lead", "other")))
act_rightly = st.one_of(st.tuples(st.just("act"), UNIT, st.just("submit"), st.just("own")),
                        st.tuples(st.just("act"), UNIT, st.sampled_from(("return", "review", "finalize")),
                                  st.just("lead")))
period = st.tuples(st.just("period"), st.sampled_from(sorted(lifecycle.PERIOD_ACTIONS)))
# Period moves are rare (one in ten), as in real life: a period that closes early ends the story.
commands = st.lists(st.one_of(create, create, update, update, act, act_rightly, act_rightly, act_rightly,
                              act_rightly, period), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def service(mongo_uri):
    """One submissions service for every example (each example works in a period of its own)."""
    vhost, db_name = f"prop-{uuid.uuid4().hex[:10]}", f"p{uuid.uuid4().hex[:10]}_submissions"
    management = os.environ.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672")
    create_vhost(vhost, management)
    cfg = config.load("submissions", AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/{vhost}", MONGO_URI=mongo_uri,
                      MONGO_DB=db_name, OUTBOX_SWEEP_SECONDS=5, DEMO_MODE="true")
    cfg.pop("LOGGING")
    container = ServiceContainer(SubmissionsService, cfg)
    container.start()
    try:
        client = Client(container)
        client.as_(LOADER).load_reference_data(demo_reference())
        yield client, client_for(mongo_uri)[db_name]
    finally:
        container.stop()
        client_for(mongo_uri).drop_database(db_name)
        delete_vhost(vhost, management)


def actor_for(kind, unit):
    return {"own": officer(unit), "lead": LEAD, "other": officer("U06")}[kind]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(commands)
def test_random_commands_never_reach_an_invalid_state_or_lose_a_report(service, steps):
    svc, db = service
    period = f"2021-X{next(_periods)}"
    svc.as_(OFFICE).plan_period({"code": period, "kind": "quarter", "year": 2021, "label": period,
                                 "starts_on": "2021-01-01T00:00:00+07:00", "ends_on": "2021-03-31T00:00:00+07:00",
                                 "deadline": "2021-04-10T17:00:00+07:00", "template": TEMPLATE_REF})
    svc.as_(OFFICE).transition_run("CUM-01", period, "open", {"version": 1})   # most commands need an open period
    model_period = {"state": "OPEN", "version": 2}
    reports = {}  # unit -> {"id", "status", "version"} as the model expects

    for step in steps:
        kind = step[0]
        try:
            if kind == "create":
                _, unit, draft = step
                result = svc.as_(officer(unit)).submit_report({"unit": unit, "period": period, "draft": draft,
                                                              "values": {"C1.1": {"actual": 90}}})
                assert unit not in reports
                assert draft or model_period["state"] in lifecycle.REPORTING_PERIOD_STATES
                reports[unit] = {"id": result["id"], "status": result["status"], "version": 1}
            elif kind == "update":
                _, unit, stale = step
                if unit not in reports:
                    continue
                expected = reports[unit]
                version = expected["version"] - 1 if stale else expected["version"]
                result = svc.as_(officer(unit)).update_report(expected["id"], {"version": version, "values": {}})
                assert not stale and expected["status"] in lifecycle.EDITABLE_REPORT_STATES
                expected["version"] += 1
            elif kind == "act":
                _, unit, action, who = step
                if unit not in reports:
                    continue
                expected = reports[unit]
                body = {"version": expected["version"]}
                if action in ("return", "exclude"):
                    body["reason"] = "Bổ sung"
                result = svc.as_(actor_for(who, unit)).act_on_report(expected["id"], action, body)
                target, _ = lifecycle.report_transition(expected["status"], action)
                # The lead's person leads U01 too, so may also submit U01's report.
                assert who == "lead" if action != "submit" else who == "own" or (who, unit) == ("lead", "U01")
                expected.update(status=target, version=expected["version"] + 1)
                assert result["status"] == target
            else:
                _, action = step
                # No vote is ever opened here, so the run is never concluded (VOTE_NOT_CLOSED).
                arguments = {"version": model_period["version"], **ARGUMENTS.get(action, {})}
                result = svc.as_(OFFICE).transition_run("CUM-01", period, action, arguments)
                assert action not in ("conclude", "archive", "reopen")
                target, _ = lifecycle.period_transition(model_period["state"], action)
                model_period.update(state=target, version=model_period["version"] + 1)
        except DomainError:
            pass  # a refused command: the state checks below prove it changed nothing

        stored = {r["unit"]: r for r in db.reports.find({"period": period})}
        assert set(stored) == set(reports)                      # no accepted report lost, none invented
        for unit, expected in reports.items():
            assert (stored[unit]["status"], stored[unit]["version"]) == (expected["status"], expected["version"])
            assert stored[unit]["status"] in lifecycle.REPORT_STATES
        current = db.runs.find_one({"_id": f"CUM-01:{period}"})
        assert (current["state"], current["version"]) == (model_period["state"], model_period["version"])
