"""Dead-letter queues: see what failed and replay it.

    python -m thidua.dlq list                 # every non-empty *.dlq queue and its messages
    python -m thidua.dlq replay QUEUE.dlq     # send all of them back to their handler's queue
    python -m thidua.dlq replay QUEUE.dlq --id EVENT_ID

Queues are found through the RabbitMQ management API (``RABBIT_MANAGEMENT_URI``,
default ``http://guest:guest@127.0.0.1:15672``). Listing does not consume: the
messages are read unacknowledged and returned to the queue when the channel
closes. Replay republishes with publisher confirms, resets the attempt count, and
only then acks the dead letter, so a crash mid-replay loses nothing.
"""
import argparse
import json
import os
import sys
from urllib.parse import quote, urlsplit

import requests
from kombu import Connection
from nameko.amqp.publish import Publisher

from thidua.messaging import ATTEMPT_HEADER, DEFAULT_EXCHANGE, ERROR_HEADER, FAILED_AT_HEADER, QUEUE_HEADER


def _vhost(amqp_uri):
    path = urlsplit(amqp_uri).path.lstrip("/")
    return path or "/"


def management(amqp_uri, management_uri, path):
    """GET ``path`` of the management API, under the vhost of ``amqp_uri`` (``{vhost}`` in the path)."""
    parts = urlsplit(management_uri)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
    auth = (parts.username or "guest", parts.password or "guest")
    response = requests.get(f"{base}/api/{path.format(vhost=quote(_vhost(amqp_uri), safe=''))}", auth=auth, timeout=10)
    response.raise_for_status()
    return response.json()


def dead_letter_queues(amqp_uri, management_uri):
    return sorted((q["name"], q.get("messages", 0)) for q in management(amqp_uri, management_uri, "queues/{vhost}")
                  if q["name"].endswith(".dlq"))


def _messages(amqp_uri, queue):
    """Yield ``(channel, message)`` for each message of ``queue``, unacknowledged: whatever the
    caller does not ack goes back to the queue when the channel closes."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        try:
            while (message := channel.basic_get(queue, no_ack=False)) is not None:
                yield channel, message
        finally:
            channel.close()


def peek(amqp_uri, queue):
    """The messages of ``queue`` as dicts, leaving them in the queue."""
    return [describe(message) for _, message in _messages(amqp_uri, queue)]


def describe(message):
    headers = message.headers or {}
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        body = None
    event = body if isinstance(body, dict) else {}
    return {
        "event_id": event.get("id") or message.properties.get("message_id"),
        "type": event.get("type"), "correlation_id": event.get("correlation_id"),
        "queue": headers.get(QUEUE_HEADER), "attempts": (headers.get(ATTEMPT_HEADER) or 1) - 1,
        "error": headers.get(ERROR_HEADER), "failed_at": headers.get(FAILED_AT_HEADER),
    }


def replay(amqp_uri, queue, event_id=None):
    """Send dead letters of ``queue`` back to their handler's queue; returns how many."""
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True)
    replayed = 0
    for channel, message in _messages(amqp_uri, queue):
        if event_id is not None and describe(message)["event_id"] != event_id:
            continue  # left unacked: returns to the queue on close
        headers = dict(message.headers or {})
        target = headers.get(QUEUE_HEADER) or queue[: -len(".dlq")]
        headers[ATTEMPT_HEADER] = 1
        headers["x-thidua-replayed-from"] = queue
        publisher.publish(message.body, exchange=DEFAULT_EXCHANGE, routing_key=target,
                          headers=headers, content_type=message.content_type,
                          content_encoding=message.content_encoding, serializer=None,
                          message_id=message.properties.get("message_id"))
        channel.basic_ack(message.delivery_tag)
        replayed += 1
    return replayed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m thidua.dlq", description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--management-uri",
                        default=os.environ.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672"))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="show dead letters")
    rp = sub.add_parser("replay", help="send dead letters back to their handler")
    rp.add_argument("queue")
    rp.add_argument("--id", dest="event_id", help="only the message with this event id")
    args = parser.parse_args(argv)

    if args.command == "list":
        for name, count in dead_letter_queues(args.amqp_uri, args.management_uri):
            if count:
                print(f"{name}: {count} message(s)")
                for info in peek(args.amqp_uri, name):
                    print("  " + json.dumps(info, ensure_ascii=False))
        return 0
    count = replay(args.amqp_uri, args.queue, args.event_id)
    print(f"replayed {count} message(s) from {args.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
