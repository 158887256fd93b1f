"""The caller of a request, as a nameko dependency.

The gateway checks an HTTP credential (a bearer access token, a machine client's API token, or in
demo mode the ``X-Actor`` header) and turns it into a *credential* for the bus, which it puts in
the worker's context data under ``caller``. nameko copies context data into the headers of every
RPC call, as it does for the correlation id, so each service sees who is behind the request
without it being an argument of every method.

What travels is never a person's own token or password: it is an *assertion* the gateway signs
with ``SERVICE_SECRET`` for a minute at most (:func:`vouch`), or an operator tool's or a
service's own *service token* (:func:`as_system`; ``ServiceRpcProxy(..., context_data=
{"caller": as_system("demo-loader")})``). Only in demo mode may a bare ``{"id": ...}`` name a
person, and never a ``system:`` one.

A credential is a claim, never an identity: each service resolves it once per worker, on first
use, into a :class:`Caller` through a resolver. The submissions service, which owns people and
sessions, checks it itself; the other services ask it (:func:`ask_submissions`).
"""
import time
from dataclasses import dataclass
from typing import ClassVar

from nameko.extensions import DependencyProvider

from thidua import tokens
from thidua.errors import Unauthenticated
from thidua.settings import Security

CONTEXT_KEY = "caller"
CREDENTIAL_FIELDS = ("id", "assertion", "address")
SYSTEM_ROLE = "system"


def as_system(name, config=None, ttl_seconds=300):
    """The credential of an operator tool or a service acting as ``system:<name>``: a service
    token signed with ``SERVICE_SECRET`` (from ``config``, else the environment)."""
    secret = Security.of(config or {}).service_secret
    return {"assertion": tokens.service_token(secret, name, time.time(), ttl_seconds)}


def vouch(secret, person, session=None, api_token=None, address=None):
    """The gateway's credential for a person it checked: an assertion signed with ``secret``
    (``SERVICE_SECRET``) naming their session or the id of their API token, never the token itself."""
    signed = tokens.assertion(secret, person, time.time(), session, api_token)
    return credential(id=person, assertion=signed, address=address)   # the id: who, for the gateway's own checks


@dataclass(frozen=True)
class Caller:
    """Who is acting: a person with their role and unit, or an operator tool (role ``system``)."""
    id: str | None
    role: str | None = None
    unit: str | None = None
    session: str | None = None

    ANONYMOUS: ClassVar["Caller"]

    @property
    def signed_in(self):
        return self.id is not None

    @property
    def is_system(self):
        return self.role == SYSTEM_ROLE

    def require(self):
        """This caller, if someone signed in; else the refusal every change gets."""
        if not self.signed_in:
            raise Unauthenticated("Sign in first (POST /api/v1/auth/login) and send the access token.")
        return self

    def as_dict(self):
        return {"id": self.id, "role": self.role, "unit": self.unit}


Caller.ANONYMOUS = Caller(None)


def credential(**fields):
    """A credential as it travels: only the known fields, only strings, nothing empty."""
    return {k: v for k, v in fields.items() if k in CREDENTIAL_FIELDS and isinstance(v, str) and v}


def forward(worker_ctx, claimed):
    """Put ``claimed`` (a credential, or ``None`` for nobody) into a worker's context data, so every
    RPC call the worker makes carries it."""
    clean = credential(**(claimed or {}))
    if clean:
        worker_ctx.data[CONTEXT_KEY] = clean
    else:
        worker_ctx.data.pop(CONTEXT_KEY, None)


def claimed_by(worker_ctx):
    """The credential a worker was called with, or ``None``."""
    found = worker_ctx.data.get(CONTEXT_KEY)
    return credential(**found) if isinstance(found, dict) else None


class _Resolved:
    """What ``self.caller`` is inside a worker: resolved on first attribute access, then kept."""

    def __init__(self, resolve, service, worker_ctx):
        self._resolve, self._service, self._worker_ctx = resolve, service, worker_ctx
        self._caller = None

    def _get(self):
        if self._caller is None:
            claimed = claimed_by(self._worker_ctx)
            self._caller = self._resolve(self._service, claimed) if claimed else Caller.ANONYMOUS
        return self._caller

    def __getattr__(self, name):
        return getattr(self._get(), name)

    def __repr__(self):
        return f"<caller {self._caller!r}>"


class CallerProvider(DependencyProvider):
    """``caller = CallerProvider(resolve)``: ``self.caller`` is the worker's :class:`Caller`.

    ``resolve(service, credential) -> Caller`` runs lazily, at most once per worker, inside the
    entrypoint, so a refused credential is the entrypoint's own expected error."""

    def __init__(self, resolve):
        self.resolve = resolve

    def get_dependency(self, worker_ctx):
        return _Resolved(self.resolve, worker_ctx.service, worker_ctx)


class Forward(DependencyProvider):
    """``forward_caller = Forward()``: ``self.forward_caller(credential)`` makes every RPC call of
    this worker carry ``credential`` (the gateway's side)."""

    def get_dependency(self, worker_ctx):
        return lambda claimed: forward(worker_ctx, claimed)


def ask_submissions(service, claimed):
    """A resolver for services that do not own people: the submissions service checks the
    credential (it travels in the context of this call too) and answers who it is."""
    answer = service.submissions.whois()
    return Caller(**{k: answer.get(k) for k in ("id", "role", "unit", "session")})
