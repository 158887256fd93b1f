"""Correlation ids: one id from the HTTP request through every RPC, event and log line.

The gateway takes ``X-Correlation-Id`` from the request (or makes one); nameko
propagates worker context data across RPC calls; the outbox stores it in each
event's envelope; the reliable event handler puts it back into the context of
the worker that handles the event. Log records get it through
:class:`CorrelationFilter`, with the id of the event being handled and the id of the caller
where the worker has them (the JSON log lines carry all three, ``LOG_FORMAT=json``).
"""
import logging
import re
import threading
import uuid

from nameko.extensions import DependencyProvider

KEY = "correlation_id"
HEADER = "X-Correlation-Id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current = threading.local()  # greenlet-local once eventlet has monkey-patched threading


def new_id():
    return uuid.uuid4().hex


def accept(candidate):
    """A client-supplied id if it is safe to log and store, else a fresh one."""
    if isinstance(candidate, str) and _VALID.match(candidate):
        return candidate
    return new_id()


def current():
    return getattr(_current, "value", None)


def worker_facts(worker_ctx):
    """The event id and the caller's id of a worker, where it has them (for its log lines)."""
    event = worker_ctx.args[0] if worker_ctx.args else None
    caller = worker_ctx.data.get("caller")
    return (event.get("id") if isinstance(event, dict) and isinstance(event.get("id"), str) else None,
            caller.get("id") if isinstance(caller, dict) and isinstance(caller.get("id"), str) else None)


class CorrelationId(DependencyProvider):
    """Gives the worker its correlation id and tags its log lines with it."""

    @staticmethod
    def of(worker_ctx):
        """The worker's id: from RPC/event context data, else the HTTP header, else new."""
        cid = worker_ctx.data.get(KEY)
        if cid is None:
            request = worker_ctx.args[0] if worker_ctx.args else None
            headers = getattr(request, "headers", None)
            cid = accept(headers.get(HEADER) if headers is not None else None)
            worker_ctx.data[KEY] = cid
        return cid

    def get_dependency(self, worker_ctx):  # nameko calls this before worker_setup
        return self.of(worker_ctx)

    def worker_setup(self, worker_ctx):
        _current.value = self.of(worker_ctx)
        _current.event, _current.caller = worker_facts(worker_ctx)

    def worker_teardown(self, worker_ctx):
        _current.value = _current.event = _current.caller = None


class CorrelationFilter(logging.Filter):
    def filter(self, record):
        record.correlation_id = current() or "-"
        record.event_id = getattr(_current, "event", None)
        record.caller = getattr(_current, "caller", None)
        return True
