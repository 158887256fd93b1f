"""nameko's side of the domain errors: they cross RPC as themselves, and an RPC entrypoint
treats them as expected answers (a warning in the log, not a fault with a traceback). And what
every service with a database answers the same way (:class:`Operations`)."""
import eventlet
from nameko.exceptions import deserialize_to_instance
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, RpcProxy as _NamekoRpcProxy

from thidua.errors import DomainError, ServiceUnavailable
from thidua.settings import Messaging

for _error in DomainError.__subclasses__():
    deserialize_to_instance(_error)


class QuorumRpcConsumer(RpcConsumer):
    """nameko's RPC queue (``rpc-<service>``) as a quorum queue, like the event queues
    (``QUEUE_TYPE``): on a RabbitMQ cluster, calls keep reaching a service after a node is lost."""

    def setup(self):
        from thidua.messaging import QUORUM
        super().setup()
        if Messaging.of(self.container.config).queue_type == "quorum":
            self.queue.queue_arguments = dict(QUORUM)


class QuorumRpc(Rpc):
    rpc_consumer = QuorumRpcConsumer()


class QuorumReplyListener(ReplyListener):
    """nameko's reply queue of a service's RPC proxies is durable, with the home of a classic queue:
    when that node is lost, declaring it again fails (NOT_FOUND) until the node is back. As a
    quorum queue (keeping its expiry) it survives the node, with the replies in it."""

    def setup(self):
        from thidua.messaging import QUORUM
        super().setup()
        if Messaging.of(self.container.config).queue_type == "quorum":
            self.queue.queue_arguments = {**QUORUM, **self.queue.queue_arguments}


class RpcProxy(_NamekoRpcProxy):
    """``submissions = RpcProxy("submissions")``: nameko's proxy, its replies in a quorum queue."""
    rpc_reply_listener = QuorumReplyListener()


def rpc(method):
    return QuorumRpc.decorator(expected_exceptions=DomainError)(method)


class TimedRpcProxy(RpcProxy):
    """``submissions = TimedRpcProxy("submissions")``: nameko's RPC proxy, but a call that gets no
    answer within ``RPC_TIMEOUT_SECONDS`` gives up with :class:`ServiceUnavailable` instead of
    holding its worker (and the service's shutdown) for ever."""

    def setup(self):
        super().setup()
        self.timeout = Messaging.of(self.container.config).rpc_timeout_seconds

    def get_dependency(self, worker_ctx):
        return _Timed(super().get_dependency(worker_ctx), self.target_service, self.timeout)


class _Timed:
    def __init__(self, proxy, service, timeout):
        self._proxy, self._service, self._timeout = proxy, service, timeout

    def __getattr__(self, method):
        call_async = getattr(self._proxy, method).call_async

        def call(*args, **kwargs):
            reply = call_async(*args, **kwargs)
            try:
                with eventlet.Timeout(self._timeout):
                    return reply.result()
            except eventlet.Timeout:
                raise ServiceUnavailable(f"{self._service}.{method} did not answer within {self._timeout:g} s; "
                                         "try again shortly.") from None
        return call


class Operations:
    """The RPCs every service with its own database has: its audit trail, for those who may read
    it (``thidua.audit.trail``), and a ping of its database for the health check. A service class
    inherits it through the module (``thidua.rpc.Operations``), never imports the class by name:
    ``nameko run`` takes every class with entrypoints in a service module for a service."""

    @rpc
    def audit_trail(self, unit=None, period=None, actor=None, entity=None, entity_id=None, limit=100, cursor=None):
        """A page of audit entries (``{"items", "next"}``), filtered by unit, period, who acted
        (``actor``), entity."""
        from thidua import audit
        return audit.trail(self.db, self.caller, unit, period, actor, entity, entity_id, limit, cursor)

    @rpc
    def ping(self):
        self.db.command("ping")
        return {"service": self.name, "ok": True}
