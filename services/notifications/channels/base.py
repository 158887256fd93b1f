"""What a notification channel is: the protocol every channel module implements. Pure of
frameworks and of I/O when it records: a channel says which notices it makes and what each
holds, and the recording writes them in its transaction.

A happening (one thing to tell: an event, a reminder, a digest) becomes, per channel, one
notice per recipient. The recording asks each enabled channel which notices it makes
(:meth:`Channel.notices`) and stores them where each says (:meth:`Channel.stored`) in the
transaction that marks the happening handled; the delivery loop hands each queued notice back
to its channel (:meth:`Channel.deliver`), retries with backoff, and after the last attempt reports the
failure (:meth:`Channel.report_failure`) and leaves the notice for an administrator to retry.
"""
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Protocol

log = logging.getLogger("services.notifications.channels")


class DeliveryFailed(Exception):
    """The other side did not take the notice; the message is a short reason."""


@dataclass(frozen=True)
class Happening:
    """One thing to tell: its kind, the facts, the key that names it once and for all (the
    event id, or a reminder's key), the request it came from, and when it was recorded."""
    kind: str
    data: dict
    key: str
    correlation_id: str | None
    now: datetime


class Channel(Protocol):
    name: str          # stored on every notice; what preferences and the registry call it
    personal: bool     # reaches people, who choose it per kind (else: reaches subscriptions)
    # Optional: what ``load`` returns may be kept in memory between events while the service marks no
    # change (thidua.kept). Only for a load that reads collections the service changes through writes
    # that mark; without it, ``load`` runs for every happening.
    keeps_load: bool

    def enabled(self, config) -> bool:
        """Whether configuration lets this channel be used at all (no notice is queued if not)."""

    def load(self, db):
        """What :meth:`notices` needs from the database, read before the transaction."""

    def notices(self, happening: Happening, people: list, loaded, config) -> Iterable[tuple[str, dict]]:
        """``(recipient, fields)`` per notice; ``people`` are those who chose this channel for the
        happening's kind (all the audience, for a channel that is not personal)."""

    def stored(self, happening: Happening, fields: dict) -> tuple[str, dict]:
        """Where one notice is kept and what it holds: ``(collection, document)``. The recording
        stores it once per notice id (a happening recorded again adds nothing), in the transaction
        that marks the happening handled, with the other notices of its collection in one command."""

    def deliver(self, notice: dict, config, db) -> None:
        """Hand a queued notice to the other side; raise :class:`DeliveryFailed` if it refuses."""

    def report_failure(self, notice: dict, attempts: int, error: str) -> None:
        """Tell the operators that a notice failed its last attempt."""


class Outgoing:
    """Defaults for a channel whose notices wait in ``outgoing`` for the delivery loop."""
    personal = True
    keeps_load = False

    def enabled(self, config):
        return True

    def load(self, db):
        return None

    def stored(self, happening, fields):
        return "outgoing", {
            **fields, "channel": self.name, "kind": happening.kind, "event_id": happening.key,
            "status": "PENDING", "attempts": 0, "next_attempt_at": happening.now, "created_at": happening.now,
            "last_error": None}

    def report_failure(self, notice, attempts, error):
        log.error("notice %s (%s to %s) failed %s times: %s", notice["_id"], self.name, notice.get("to"),
                  attempts, error)
