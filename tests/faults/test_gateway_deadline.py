"""One deadline per HTTP request, and a full gateway that sheds load at once: the gateway through
its HTTP entrypoint with fake services (no broker, no database)."""
import time

import eventlet
import pytest

from tests.unit.test_gateway_routes import ADMIN, DEMO, Fake, error_of, forwarded, gateway, web_session  # noqa: F401
from services.gateway.api import call
from thidua.errors import ServiceUnavailable
from thidua.rpc import DEADLINE_KEY


def slow(seconds, answer):
    def reply(*args):
        eventlet.sleep(seconds)
        return answer
    return reply


def test_a_service_that_does_not_answer_is_a_503_within_the_request_deadline(gateway, web_session):
    gateway(submissions=Fake(get_cluster=slow(30, {"code": "C1"})), GATEWAY_DEADLINE_SECONDS="0.5", **DEMO)
    started = time.monotonic()
    response = web_session.get("/api/v1/clusters/C1", headers=ADMIN)
    took = time.monotonic() - started
    assert error_of(response) == (503, "SERVICE_UNAVAILABLE")
    assert response.headers["Retry-After"] == "5"
    assert 0.4 <= took < 1.5


class Proxy:
    """An RPC method as ``call`` sees it, in a worker whose request is due at ``deadline``."""

    def __init__(self, deadline, answer_after):
        self.worker_ctx = type("Ctx", (), {"context_data": {DEADLINE_KEY: deadline}})()
        self.answer_after = answer_after

    def call_async(self):
        eventlet.sleep(self.answer_after)     # the publish itself may hang: it is inside the deadline
        return type("Reply", (), {"result": lambda reply: "answer"})()


def test_each_call_waits_only_for_what_is_left_of_its_requests_deadline():
    due = time.time() + 0.3
    assert call(Proxy(due, 0.1)) == "answer"                           # in time
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        call(Proxy(due, 5), timeout=30.0)                              # a route's longer limit does not extend it
    assert time.monotonic() - started < 0.5
    with pytest.raises(ServiceUnavailable):
        call(Proxy(time.time() - 1, 0))                                # already past: no call is waited for


def occupy(port, workers, settle):
    """``workers`` requests held by the slow service (every worker busy after ``settle`` s)."""
    import requests
    url = f"http://127.0.0.1:{port}/api/v1/clusters/C1"
    pool = eventlet.GreenPool()
    busy = [pool.spawn(requests.get, url, headers=ADMIN, timeout=5) for _ in range(workers)]
    eventlet.sleep(settle)
    return busy


@pytest.mark.parametrize("admission, busy_for, served", [("0.2", 1.5, False), ("3", 0.5, True)])
def test_a_request_that_finds_every_worker_busy_waits_in_line_for_the_admission_wait(
        gateway, web_session, web_config_port, admission, busy_for, served):
    gateway(submissions=Fake(get_cluster=slow(busy_for, {"code": "C1"}), list_units=[]), max_workers=2,
            GATEWAY_ADMISSION_SECONDS=admission, **DEMO)
    busy = occupy(web_config_port, 2, 0.2)
    started = time.monotonic()
    answer = web_session.get("/api/v1/units", headers=ADMIN)
    took = time.monotonic() - started
    if served:    # a worker was free within the wait: served
        assert answer.status_code == 200 and 0.2 <= took < 2.5
    else:         # none was: 503 once the wait is over, never queued past it
        assert error_of(answer) == (503, "SERVICE_UNAVAILABLE") and 0.2 <= took < 0.7
        assert "Idempotency-Key" in answer.json()["error"]["message"]
    assert [r.wait().status_code for r in busy] == [200, 200]
    assert web_session.get("/api/v1/units", headers=ADMIN).status_code == 200   # free again: served


def test_the_wait_in_line_counts_against_the_requests_deadline(gateway, web_session, web_config_port):
    gateway(submissions=Fake(get_cluster=slow(0.6, {"code": "C1"})), max_workers=1, GATEWAY_DEADLINE_SECONDS="1",
            GATEWAY_ADMISSION_SECONDS="1", **DEMO)
    busy = occupy(web_config_port, 1, 0.1)
    started = time.monotonic()
    late = web_session.get("/api/v1/clusters/C1", headers=ADMIN)   # in line ~0.5 s, then 0.6 s of work: too late
    assert error_of(late) == (503, "SERVICE_UNAVAILABLE")
    assert time.monotonic() - started < 1.4
    assert [r.wait().status_code for r in busy] == [200]


def test_an_amqp_connection_error_is_a_503_not_a_500(gateway, web_session):
    from amqp.exceptions import RecoverableConnectionError

    def fails(*args):
        raise RecoverableConnectionError("connection already closed")
    gateway(submissions=Fake(get_cluster=fails), **DEMO)
    assert error_of(web_session.get("/api/v1/clusters/C1", headers=ADMIN)) == (503, "SERVICE_UNAVAILABLE")
