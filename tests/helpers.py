"""Small helpers shared by the integration and end-to-end tests."""
import json
import time
from pathlib import Path

import eventlet

DEMO = Path(__file__).resolve().parent.parent / "scripts" / "demo_data.json"


def demo_data():
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    data.pop("_about")
    return data


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


def report_event(unit="U02", total=87.5, version=1, cluster="CUM-01", period="2021-Q1", correlation_id="test"):
    from thidua.events import new_event
    return new_event("report.submitted.v1", {
        "report_id": f"r-{unit}-{version}", "unit": unit, "unit_name": f"Unit {unit}", "cluster": cluster,
        "cluster_name": "Cụm thi đua số 1", "period": period, "scores": {"TC1": total}, "total": total,
        "submitted_at": "2021-04-01T01:00:00.000Z", "late": False, "version": version,
    }, correlation_id)
