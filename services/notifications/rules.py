"""Who must know what, and how soon. Pure: no I/O.

| event | condition | audience | kind | when |
|---|---|---|---|---|
| report.submitted.v1 | | the cluster lead (lead and deputy units' leaders) | report.submitted | at once |
| report.resubmitted.v1 | | the cluster lead | report.resubmitted | at once |
| report.returned.v1 | | the unit's own people | report.returned | at once |
| vote.opened.v1, vote.closed.v1 | | the member units' people | vote.opened / vote.closed | at once |
| ranking.updated.v1 | new leading unit or a class change | the leaders (provincial leaders, standing office, cluster lead) | ranking.changed | at once |
| ranking.updated.v1 | otherwise | the leaders | ranking.updated | in the digest |
| period.concluded.v1 | | everyone | results.published | at once |
| (timer) deadline in 3 days, in 1 day | unit has not handed in | the unit's own people | deadline.approaching | once per offset |
| (timer) deadline passed | unit has not handed in | the unit's own people; the cluster lead gets the list | deadline.missed | once |

The table is `docs/notifications.md` too; this module is the one the service applies.
"""
from datetime import datetime, timedelta

NOW, DIGEST = "now", "digest"


def decide(event):
    """``(kind, audience, when)`` for an event, or ``None`` when nobody needs to hear of it."""
    kind = event["type"].rsplit(".", 1)[0]
    if kind in ("report.submitted", "report.resubmitted"):
        return kind, "cluster_lead", NOW
    if kind == "report.returned":
        return kind, "unit", NOW
    if kind in ("vote.opened", "vote.closed"):
        return kind, "members", NOW
    if kind == "ranking.updated":
        data = event["data"]
        if data["leader_changed"] or data["class_changes"]:
            return "ranking.changed", "leaders", NOW
        return "ranking.updated", "leaders", DIGEST
    if kind == "period.concluded":
        return "results.published", "everyone", NOW
    return None


def due_reminders(status, now, offsets_hours):
    """Reminders due at ``now`` from the submissions service's reporting status.

    Yields ``(kind, key, cluster, unit_or_None, offset_hours_or_None, entry)``; ``key``
    names the reminder once and for all, so sending it twice is recognisable.
    """
    for entry in status:
        deadline = datetime.fromisoformat(entry["deadline"].replace("Z", "+00:00"))
        if now >= deadline:
            for unit in entry["missing"]:
                yield "deadline.missed", f"missed|{entry['period']}|{unit}", entry["cluster"], unit, None, entry
            if entry["missing"]:
                yield ("deadline.missed", f"missed|{entry['period']}|{entry['cluster']}", entry["cluster"], None,
                       None, entry)
            continue
        # Only the nearest offset whose time has come: a service that was down through the
        # 3-day reminder and wakes up the day before sends the 1-day one, not both.
        due = [hours for hours in offsets_hours if now >= deadline - timedelta(hours=hours)]
        if due:
            hours = min(due)
            for unit in entry["missing"]:
                yield ("deadline.approaching", f"due|{entry['period']}|{unit}|{hours}h", entry["cluster"],
                       unit, hours, entry)


def backoff_seconds(attempt, base):
    """Delay before retry number ``attempt`` (1, 2, …): base, 2*base, 4*base, …"""
    return base * 2 ** (attempt - 1)
