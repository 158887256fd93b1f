"""Convert the classic queues of a vhost made by an older version into quorum queues, and
re-declare those whose arguments changed (the delivery limit follows ``RETRY_DELAYS_MS``).

    python -m thidua.queues upgrade     # with the services stopped; AMQP_URI, RABBIT_MANAGEMENT_URI

RabbitMQ cannot change a queue's type: each classic ``evt-…`` queue (a handler's queue, its
retry queues, its dead-letter queue) and ``rpc-…`` queue (a service's RPC calls) is emptied into a temporary quorum queue, deleted,
declared again with the arguments the platform gives it now (``thidua.messaging``), bound again
as it was, and refilled. Every move publishes with confirms before it acks, so a crash part way
loses nothing: run it again and it carries on (the temporary queue is refilled from, too). An
event published meanwhile finds no queue and waits in its producer's outbox.
"""
import argparse
import os
import re
import sys

from kombu import Connection, Queue
from nameko.amqp.publish import Publisher

from thidua.config import retry_delays
from thidua.dlq import management
from thidua.messaging import (DEFAULT_EXCHANGE, QUORUM, dead_letter_queue, declare, handler_arguments,
                              retry_queue)

PREFIXES = ("evt-", "rpc-")   # the event queues, and nameko's RPC queue of each service (not its reply queues)
RETRY = re.compile(r"^(?P<queue>.+)\.retry\.(?P<delay>\d+)ms$")
TEMPORARY = ".upgrading"


def target(name, attempts):
    """The quorum queue the platform declares under ``name`` today."""
    if name.startswith("rpc-"):
        return Queue(name, durable=True, queue_arguments=dict(QUORUM))
    if name.endswith(".dlq"):
        return dead_letter_queue(name[: -len(".dlq")])
    retry = RETRY.match(name)
    if retry:
        return retry_queue(retry["queue"], int(retry["delay"]))
    return Queue(name, durable=True, queue_arguments=handler_arguments(name, attempts))


def as_declared(info, queue):
    """Whether the broker's queue (management API ``info``) is the one the platform declares now."""
    return info.get("type") == "quorum" and (info.get("arguments") or {}) == queue.queue_arguments


def move(amqp_uri, source, destination):
    """Move every message of ``source`` to ``destination`` (by the default exchange); returns how many."""
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True)
    moved = 0
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(source, no_ack=False)) is not None:
            publisher.publish(message.body, exchange=DEFAULT_EXCHANGE, routing_key=destination,
                              headers=message.headers, content_type=message.content_type,
                              content_encoding=message.content_encoding, serializer=None,
                              message_id=message.properties.get("message_id"))
            channel.basic_ack(message.delivery_tag)
            moved += 1
    return moved


def upgrade(amqp_uri, management_uri, attempts):
    """Convert each ``evt-``/``rpc-`` queue that is not as the platform declares it now (classic,
    or other arguments); returns ``{queue: messages moved}``."""
    done = {}
    found = management(amqp_uri, management_uri, "queues/{vhost}")
    for info in found:
        name = info["name"]
        if name.startswith(PREFIXES) and name.endswith(TEMPORARY):   # left by a run that stopped part way
            done[name[: -len(TEMPORARY)]] = finish(amqp_uri, name, name[: -len(TEMPORARY)], attempts)
            continue
        if not name.startswith(PREFIXES) or name + TEMPORARY in {q["name"] for q in found} or \
                as_declared(info, target(name, attempts)):
            continue
        bindings = [b for b in management(amqp_uri, management_uri, f"queues/{{vhost}}/{_quoted(name)}/bindings")
                    if b["source"]]
        done[name] = convert(amqp_uri, name, target(name, attempts), bindings)
    return done


def convert(amqp_uri, name, queue, bindings):
    holding = Queue(name + TEMPORARY, durable=True, queue_arguments=dict(QUORUM))
    with Connection(amqp_uri) as conn:
        declare(conn, holding)
        moved = move(amqp_uri, name, holding.name)
        conn.channel().queue_delete(name)
        declare(conn, queue)
        for binding in bindings:
            conn.channel().queue_bind(name, binding["source"], binding["routing_key"])
        move(amqp_uri, holding.name, name)
        conn.channel().queue_delete(holding.name)
    return moved


def finish(amqp_uri, holding, name, attempts):
    """Refill ``name`` (declared now as the platform declares it) from a run's temporary queue."""
    with Connection(amqp_uri) as conn:
        declare(conn, target(name, attempts))
        moved = move(amqp_uri, holding, name)
        conn.channel().queue_delete(holding)
    return moved


def _quoted(name):
    from urllib.parse import quote
    return quote(name, safe="")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m thidua.queues", description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--management-uri",
                        default=os.environ.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672"))
    parser.add_argument("command", choices=["upgrade"])
    args = parser.parse_args(argv)
    done = upgrade(args.amqp_uri, args.management_uri, len(retry_delays({})) + 1)
    for name, moved in sorted(done.items()):
        print(f"{name}: now a quorum queue ({moved} message(s) kept)")
    print(f"converted {len(done)} queue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
