"""Event handlers that never drop a message.

nameko's ``event_handler`` acks and forgets a message whose handler raised.
:func:`event_handler` here replaces that: a failed message is republished (with
publisher confirms) to a retry queue whose TTL is the next backoff delay and
which dead-letters back to the handler's queue; after the last delay it is
parked in the handler's dead-letter queue ``<queue>.dlq``, with the error, for an
operator to inspect and replay (``python -m thidua.dlq``). The original is acked
only after the copy is safely in the broker.

Before any handler runs, the producer's signature is checked (``thidua.signing``): an
unsigned, altered or foreign-signed event, and a replayed copy of one already handled, goes
straight to the dead-letter queue with the reason. Then the event is read against its contract (``thidua.events.accept``):
checked by the JSON Schema of its type and version, and upcast to the version the
handler understands (the ``event_type`` it binds to; the newest known version for a
wildcard binding). A handler bound to ``x.v2`` is also bound to every older version an
upcaster turns into ``x.v2``. An event that breaks its contract, or whose version this
code cannot read, goes straight to the dead-letter queue with the reason: retrying it
cannot succeed.

Queues are durable quorum queues (replicated on a RabbitMQ cluster; ``QUEUE_TYPE=classic`` keeps
the classic queues of an older vhost), messages persistent (the relay publishes them so), and the
correlation id of the event is put into the worker's context. A handler's queue has a delivery
limit of the retry policy's attempts, past which the broker dead-letters a message to ``<queue>.dlq``.
"""
import logging
import time
import traceback
from functools import partial

from kombu import Connection, Exchange, Queue
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.transport.pyamqp import Transport as AmqpTransport
from nameko.amqp.publish import Publisher, get_connection
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer

from thidua import metrics, signing
from thidua.config import retry_delays
from thidua.contracts import upcast_sources
from thidua.correlation import KEY as CORRELATION_KEY
from thidua.events import InvalidEvent, accept, isoformat, utcnow
from thidua.settings import Messaging

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-thidua-attempt"
ERROR_HEADER = "x-thidua-error"
QUEUE_HEADER = "x-thidua-queue"
FAILED_AT_HEADER = "x-thidua-failed-at"
DEFAULT_EXCHANGE = Exchange("", type="direct")
REFUSED = (InvalidEvent, signing.InvalidSignature)   # what no retry can make acceptable


QUORUM = {"x-queue-type": "quorum"}   # replicated on every node of a cluster (QUEUE_TYPE=classic: not)
# A quorum queue dead-letters at least once (else at most once) only if it refuses publishes when full.
PRECONDITION_FAILED = 406   # AMQP's answer to a declaration that differs from the queue's
AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def retry_queue(queue_name, delay_ms, quorum=True):
    return Queue(
        f"{queue_name}.retry.{delay_ms}ms", exchange=DEFAULT_EXCHANGE,
        routing_key=f"{queue_name}.retry.{delay_ms}ms", durable=True,
        queue_arguments={"x-message-ttl": delay_ms, "x-dead-letter-exchange": "",
                         "x-dead-letter-routing-key": queue_name, **(QUORUM | AT_LEAST_ONCE if quorum else {})},
    )


def dead_letter_queue(queue_name, quorum=True):
    # No delivery limit: listing dead letters (python -m thidua.dlq list) hands each back, a delivery to the broker.
    return Queue(f"{queue_name}.dlq", exchange=DEFAULT_EXCHANGE,
                 routing_key=f"{queue_name}.dlq", durable=True, queue_arguments=dict(QUORUM if quorum else {}))


def handler_arguments(queue_name, attempts, quorum=True):
    """The arguments of a handler's own queue: past ``attempts`` deliveries (the retry policy's
    attempts; a consumer that died with the message each time) the broker moves a message to the
    dead-letter queue, never drops it."""
    return {**QUORUM, **AT_LEAST_ONCE, "x-delivery-limit": attempts, "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": f"{queue_name}.dlq"} if quorum else {}


def declare(conn, queue):
    """Declare ``queue`` (and its binding); a queue left by an older version with other arguments
    (a classic one) stops the service with what to do, not with the broker's bare refusal."""
    try:
        queue.bind(conn.channel()).declare()
    except conn.channel_errors as exc:
        if getattr(exc, "code", None) != PRECONDITION_FAILED:
            raise
        raise RuntimeError(
            f"queue {queue.name} exists with other arguments ({exc}); a classic queue of an older version: "
            "stop the services and run `python -m thidua.queues upgrade`, or set QUEUE_TYPE=classic "
            "(README, \"Queues\")") from None


class UndecodableBody(InvalidEvent):
    """The body is not JSON of an accepted content type (malformed, text/plain, pickle, ...)."""


# What a lost or restarting broker raises: a socket error, an AMQP connection or channel error,
# or kombu's wrapper of either once its own retries are spent.
CONNECTION_ERRORS = (*AmqpTransport.connection_errors, *AmqpTransport.channel_errors, KombuOperationalError)


class SteadyQueueConsumer(QueueConsumer):
    """nameko's consumer, but an ack or a requeue on a connection the broker has just dropped
    is logged instead of raised. Raised, it ends the thread that handled the message, and
    nameko kills the whole service for it. Unacked, the message is not lost: the broker
    delivers it again once the consumer has reconnected (kombu's ConsumerMixin reconnects
    with backoff)."""

    def ack_message(self, message):
        self._settle(super().ack_message, message, "ack")

    def requeue_message(self, message):
        self._settle(super().requeue_message, message, "requeue")

    @staticmethod
    def _settle(how, message, what):
        try:
            how(message)
        except CONNECTION_ERRORS as exc:
            log.warning("could not %s a message (the broker connection is gone: %s); "
                        "the broker will deliver it again", what, exc)


class ReliableQueueConsumer(SteadyQueueConsumer):
    """kombu's consumer logs a body it cannot decode and acks it: the message is gone. Here it
    goes to the dead-letter queue of the handler it was meant for, with the reason, like every
    other message no retry can make acceptable."""

    def on_decode_error(self, message, exc):
        tag = (message.delivery_info or {}).get("consumer_tag")
        for provider, consumer in list(self._consumers.items()):
            if tag in consumer._active_tags.values() and hasattr(provider, "refuse"):
                provider.refuse(message, UndecodableBody(f"the body cannot be decoded "
                                                         f"({message.content_type}): {exc}"))
                return
        super().on_decode_error(message, exc)   # not ours: kombu's own handling


class ReliableEventHandler(EventHandler):
    queue_consumer = ReliableQueueConsumer()

    def setup(self):
        super().setup()
        name = self.queue.name
        self.delays = retry_delays(self.container.config)
        quorum = Messaging.of(self.container.config).queue_type == "quorum"
        self.queue.queue_arguments = handler_arguments(name, len(self.delays) + 1, quorum)
        self.retry_queues = [retry_queue(name, d, quorum) for d in self.delays]
        self.dlq = dead_letter_queue(name, quorum)
        self.keys = signing.keys_from(self.container.config)
        metrics.event_series(name, self.event_type)
        with Connection(self.container.config["AMQP_URI"]) as conn:   # not pooled: a refusal closes it
            for queue in [*self.retry_queues, self.dlq, self.queue]:
                declare(conn, queue)
            if self.understands is not None and upcast_sources(self.understands):
                queue = self.queue.bind(conn.channel())
                for older in upcast_sources(self.understands):
                    queue.bind_to(exchange=self.queue.exchange, routing_key=older)
        self.publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=True,
                                   mandatory=True, serializer="json")

    @property
    def understands(self):
        """The type and version the handler reads; None for a wildcard binding (newest of each)."""
        return None if "*" in self.event_type or "#" in self.event_type else self.event_type

    def read(self, body, message):
        """The event as the handler gets it and the nonce of its signature, or the refusal (an
        ``InvalidEvent`` or ``InvalidSignature``) of one no retry can make acceptable. Checks of the
        message as received (its producer's signature) come before the upcast."""
        nonce = signing.verify(body, (message.headers or {}).get(signing.HEADER), self.keys)
        return accept(body, self.understands), nonce

    def refuse(self, message, problem):
        """Park a message that cannot succeed in the dead-letter queue at once, with the reason."""
        log.error("handler %s refused an event: %s; parked in %s", self.queue.name, problem, self.dlq.name)
        self.park(message, self.dlq, f"{type(problem).__name__}: {problem}", attempt=0)

    def handle_message(self, body, message):
        try:
            body, nonce = self.read(body, message)
        except REFUSED as problem:
            self.refuse(message, problem)
            return
        context_data = self.unpack_message_headers(message)
        # What the unit of work needs to tell a replayed copy from a redelivery (thidua.signing).
        # A message back from a retry queue or replayed from the dead-letter queue carries the
        # attempt header: it is this platform's own redelivery, like the broker's.
        again = bool(message.delivery_info.get("redelivered")) or ATTEMPT_HEADER in (message.headers or {})
        context_data[signing.DELIVERY_KEY] = {"nonce": nonce, "redelivered": again}
        # The envelope carries the correlation id of the request that caused it.
        if isinstance(body, dict) and isinstance(body.get("correlation_id"), str):
            context_data[CORRELATION_KEY] = body["correlation_id"]
        try:
            self.container.spawn_worker(self, (body,), {}, context_data=context_data,
                                        handle_result=partial(self.timed_result, message, time.monotonic()))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def timed_result(self, message, started, worker_ctx, result=None, exc_info=None):
        metrics.handled(self.queue.name, metrics.event_type(message), time.monotonic() - started,
                        failed=exc_info is not None)
        return self.handle_result(message, worker_ctx, result, exc_info)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        if issubclass(exc_info[0], REFUSED):   # found out by the handler, e.g. a replayed copy
            self.refuse(message, exc_info[1])
            return
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 1))
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        if attempt <= len(self.delays):
            target = self.retry_queues[attempt - 1]
            log.warning("handler %s failed (attempt %s): %s; retrying in %s ms",
                        self.queue.name, attempt, error, self.delays[attempt - 1])
        else:
            target = self.dlq
            log.error("handler %s failed %s times: %s; parked in %s",
                      self.queue.name, attempt, error, self.dlq.name)
        self.park(message, target, error, attempt)

    def park(self, message, target, error, attempt):
        """Put a copy of the message, with why and how often it failed, in ``target``; then ack it."""
        headers = dict(message.headers or {})
        headers.update({ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: error[:2000],
                        QUEUE_HEADER: self.queue.name, FAILED_AT_HEADER: isoformat(utcnow())})
        try:
            self.publisher.publish(
                message.body, exchange=DEFAULT_EXCHANGE, routing_key=target.routing_key,
                headers=headers, content_type=message.content_type,
                content_encoding=message.content_encoding,
                serializer=None, message_id=message.properties.get("message_id"),
            )
        except Exception:
            # Could not park a copy: give the message back to the broker instead.
            log.exception("could not republish a failed message; requeueing it")
            self.queue_consumer.requeue_message(message)
            return
        metrics.parked(self.queue.name, metrics.event_type(message), dead=target is self.dlq)
        self.queue_consumer.ack_message(message)


event_handler = ReliableEventHandler.decorator
