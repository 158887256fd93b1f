"""A service's call to another gives up within RPC_TIMEOUT_SECONDS with a clear 503-class error,
instead of holding its worker and the service's shutdown for ever."""
import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from thidua import rpc as shared_rpc
from thidua.errors import ServiceUnavailable

pytestmark = pytest.mark.integration


class Slow:
    name = "slow"

    @shared_rpc.rpc
    def answer(self, seconds):
        eventlet.sleep(seconds)
        return "late"


class Asker:
    name = "asker"
    slow = shared_rpc.TimedRpcProxy("slow")

    @shared_rpc.rpc
    def ask(self, seconds):
        return self.slow.answer(seconds)


def test_a_call_that_gets_no_answer_in_time_gives_up_with_service_unavailable(container_factory, rabbit_config):
    for cls in (Slow, Asker):
        container_factory(cls, {**rabbit_config, "RPC_TIMEOUT_SECONDS": "0.5"}).start()
    # Without the proxy's own deadline, the outer client's timeout (RpcTimeout) would come first.
    with ServiceRpcProxy("asker", rabbit_config, timeout=20) as asker:
        assert asker.ask(0) == "late"                         # in time: the answer
        with pytest.raises(ServiceUnavailable, match="slow.answer did not answer within 0.5 s"):
            asker.ask(60)
