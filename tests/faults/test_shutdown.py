"""A service stops within its grace period on SIGTERM even with calls in flight to a peer that is
not running: every RPC proxy has a deadline, so no worker waits for ever (the launcher and the
supervisor kill a service that has not stopped 15 s after SIGTERM)."""
import time

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from thidua import rpc as shared_rpc
from thidua.errors import ServiceUnavailable

pytestmark = pytest.mark.integration


class Nobody:
    name = "nobody"

    @shared_rpc.rpc
    def anything(self):
        return "here"


class Lonely:
    name = "lonely"
    peer = shared_rpc.TimedRpcProxy("nobody")

    @shared_rpc.rpc
    def ask(self):
        return self.peer.anything()


def test_a_service_with_calls_in_flight_to_a_dead_peer_stops_within_its_grace(container_factory, rabbit_config):
    peer = container_factory(Nobody, rabbit_config)
    peer.start()
    peer.kill()                                            # dead: its queue stays, nobody consumes it
    container = container_factory(Lonely, {**rabbit_config, "RPC_TIMEOUT_SECONDS": "2"})
    container.start()
    answers = []

    def ask():
        with ServiceRpcProxy("lonely", rabbit_config, timeout=20) as lonely:
            try:
                answers.append(lonely.ask())
            except ServiceUnavailable as exc:
                answers.append(exc)
    callers = [eventlet.spawn(ask) for _ in range(3)]
    eventlet.sleep(0.5)                                    # the three workers now wait on "nobody"
    assert len(container._worker_threads) == 3
    started = time.monotonic()
    container.stop()                                       # what SIGTERM does in `nameko run`
    assert time.monotonic() - started < 8.0                # the proxy's 2 s and the stop itself: within 15 s
    for caller in callers:
        caller.wait()
    assert len(answers) == 3 and all(isinstance(a, ServiceUnavailable) for a in answers)
