"""nameko's side of the domain errors: they cross RPC as themselves, and an RPC entrypoint
treats them as expected answers (a warning in the log, not a fault with a traceback). And what
every service with a database answers the same way (:class:`Operations`)."""
import logging
import time

import eventlet
from nameko.exceptions import deserialize_to_instance
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, RpcProxy as _NamekoRpcProxy

from thidua.errors import DomainError, ServiceUnavailable
from thidua.messaging import CONNECTION_ERRORS, SteadyQueueConsumer
from thidua.settings import Messaging

log = logging.getLogger(__name__)

for _error in DomainError.__subclasses__():
    deserialize_to_instance(_error)

DEADLINE_KEY = "thidua.deadline"   # the context data of an HTTP request's deadline (epoch seconds)


def seconds_left(worker_ctx, most):
    """What is left of the deadline of the request a worker serves (its context data carries it
    from the gateway through every RPC), and never more than ``most``."""
    deadline = (getattr(worker_ctx, "context_data", None) or {}).get(DEADLINE_KEY)
    if deadline is None:
        return most
    return max(0.0, min(most, float(deadline) - time.time()))


def _quorum(entrance):
    """Make the queue of ``entrance`` (set up by nameko) a quorum queue when ``QUEUE_TYPE`` says so,
    like the event queues: on a RabbitMQ cluster it survives the loss of a node, with what is in it."""
    from thidua.messaging import QUORUM
    if Messaging.of(entrance.container.config).queue_type == "quorum":
        entrance.queue.queue_arguments = {**QUORUM, **(entrance.queue.queue_arguments or {})}


class SteadyRpcConsumer(RpcConsumer):
    """nameko's RPC consumer (its ``rpc-<service>`` queue a quorum queue), but a reply that cannot
    be published (the broker went away while the worker ran) does not end the worker's thread with
    an error, which would make nameko kill the service: it is logged and the request is left to the
    broker, which delivers it again once the service has reconnected (the caller, past its
    deadline, has moved on; changes are idempotent)."""
    queue_consumer = SteadyQueueConsumer()

    def setup(self):
        super().setup()
        _quorum(self)

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except CONNECTION_ERRORS as exc:
            log.warning("could not send the reply of %s (%s); the request goes back to the broker",
                        message.delivery_info.get("routing_key"), exc)
            self.queue_consumer.requeue_message(message)
            return result, exc_info


class SteadyRpc(Rpc):
    rpc_consumer = SteadyRpcConsumer()


def rpc(method):
    return SteadyRpc.decorator(expected_exceptions=DomainError)(method)


class SteadyReplyListener(ReplyListener):
    """The reply queue of a service's RPC proxies: its ack on a dropped connection is logged, not
    raised, and it is a quorum queue (keeping its expiry), since nameko's durable classic reply
    queue cannot be declared again while its home node is lost."""
    queue_consumer = SteadyQueueConsumer()

    def setup(self):
        super().setup()
        _quorum(self)


class RpcProxy(_NamekoRpcProxy):
    """``submissions = RpcProxy("submissions")``: nameko's RPC proxy whose reply listener survives
    a broker restart and the loss of a cluster node."""
    rpc_reply_listener = SteadyReplyListener()


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
        method_proxy = getattr(self._proxy, method)

        def call(*args, **kwargs):
            timeout = seconds_left(method_proxy.worker_ctx, self._timeout)
            try:
                with eventlet.Timeout(timeout):
                    return method_proxy.call_async(*args, **kwargs).result()
            except eventlet.Timeout:
                raise ServiceUnavailable(f"{self._service}.{method} did not answer within {timeout:g} s; "
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
