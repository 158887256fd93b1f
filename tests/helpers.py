"""Small helpers shared by the tests."""
import json
import time
from pathlib import Path

import eventlet

DEMO = Path(__file__).resolve().parent.parent / "scripts" / "demo_data.json"
TEMPLATE_REF = {"id": "TCTD-CAT-2021", "version": 1}


def system(name="test"):
    """An operator tool's credential, made fresh at each call (a service token lives minutes):
    ``Client.as_(system())``."""
    from thidua.caller import as_system
    return lambda: as_system(name)


def demo_content():
    return json.loads(DEMO.read_text(encoding="utf-8"))


def demo_reference():
    from scripts.demo import reference
    return reference(demo_content())


def demo_template():
    return {**demo_content()["templates"][0], "version": 1}


def eventually(probe, timeout=15.0, interval=0.05, what="the condition"):
    """Poll ``probe`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for {what}")
        eventlet.sleep(interval)


def report_event(unit="U02", actual=100, version=1, cluster="CUM-01", period="2021-Q1", correlation_id="test",
                 event_type="report.submitted.v1", status="SUBMITTED"):
    """A report event as submissions emits it, for a unit of the demo cluster."""
    from thidua.events import new_event
    data = {
        "report_id": f"r-{unit}", "unit": unit, "unit_name": f"Unit {unit}", "cluster": cluster,
        "cluster_name": "Cụm thi đua số 1", "period": period, "status": status, "version": version,
        "template": TEMPLATE_REF, "values": {"C1.1": {"actual": actual}}, "self_scores": {"C1.1": 10.0},
        "review": {}, "violations": [], "commendations": [],
        "submitted_at": "2021-04-01T01:00:00.000Z", "late": False,
    }
    if event_type == "report.submitted.v1":
        data.update(scores=data["self_scores"], total=10.0)
    return new_event(event_type, data, correlation_id)


def template_event(correlation_id="test"):
    from thidua.events import new_event
    return new_event("template.published.v1", {"template": demo_template()}, correlation_id)
