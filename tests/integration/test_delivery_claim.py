"""The delivery loop's claim on the real database: a notice whose sender died (its lease over) is
taken again, then the earliest due; nothing sent, not yet due or still held is taken."""
from datetime import timedelta

import pytest

from services.notifications import delivery
from thidua.events import utcnow

pytestmark = pytest.mark.integration


def test_the_claim_takes_an_abandoned_notice_then_the_due_ones_and_nothing_else(db_of):
    outgoing, now = db_of("notifications").outgoing, utcnow()
    outgoing.insert_many([
        {"_id": "sent", "status": "SENT", "next_attempt_at": now - timedelta(hours=2)},
        {"_id": "failed", "status": "FAILED", "next_attempt_at": now - timedelta(hours=2)},
        {"_id": "later", "status": "PENDING", "next_attempt_at": now + timedelta(minutes=5)},
        {"_id": "due-second", "status": "PENDING", "next_attempt_at": now - timedelta(seconds=5)},
        {"_id": "due-first", "status": "PENDING", "next_attempt_at": now - timedelta(minutes=1)},
        {"_id": "held", "status": "SENDING", "next_attempt_at": now - timedelta(hours=1),
         "claimed_until": now + timedelta(seconds=30)},
        {"_id": "abandoned", "status": "SENDING", "next_attempt_at": now - timedelta(seconds=1),
         "claimed_until": now - timedelta(seconds=1)},
    ])
    claimed = [delivery.claim(outgoing.database) for _ in range(4)]
    assert [c and c["_id"] for c in claimed] == ["abandoned", "due-first", "due-second", None]
    assert all(c["status"] == "SENDING" and c["claimed_until"] > utcnow() for c in claimed[:3])
    assert {d["_id"]: d["status"] for d in outgoing.find({"_id": {"$in": ["sent", "failed", "later", "held"]}})} == \
        {"sent": "SENT", "failed": "FAILED", "later": "PENDING", "held": "SENDING"}
