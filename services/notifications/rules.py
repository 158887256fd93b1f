"""Who must know what, and how soon: the rules table. Pure: no I/O.

``TABLE`` is keyed by the full, versioned event type. An event type the table does not
declare is refused (:class:`Undeclared`): the handler fails, the message is retried and
then parked in the dead-letter queue, where an operator sees it and replays it once a
release declares the type. So a ``report.submitted.v2`` is never acted on as if it were
v1, and nothing is dropped unseen. Types nobody is told of are declared with no rules.

``KINDS`` lists, per notification kind, the channels a person gets unless they choose
otherwise (their preferences); the inbox is always one of them.

``docs/notifications.md`` shows the same table in prose; this module is the one the
service applies (a unit test checks that every event type of the contract is declared).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from services.notifications.audiences import AUDIENCES
from thidua.errors import ValidationFailed

NOW, DIGEST = "now", "digest"


class Undeclared(Exception):
    """An event type (or version) the rules table does not know: never guessed at."""


def _always(data):
    return True


def late(data):
    return bool(data.get("late"))


def vote_result(data):
    """A ranking version leaders hear of at once: the one the vote's result made (its trigger is
    ``vote.closed``: the leading unit elected, or the provisional one confirmed, or none), or a later
    one that changes the elected leading unit. Every other version (reports handed in, reviewed,
    finalized: a provisional leader or a class moving) waits for the digest, so a leader gets one
    immediate ranking notice per cluster and quarter, two if the vote is held again."""
    if str(data.get("trigger_event_type", "")).startswith("vote.closed."):
        return True
    return data.get("leader_status") == "elected" and bool(data["leader_changed"])


def minor_change(data):
    return not vote_result(data)


@dataclass(frozen=True)
class Rule:
    """Tell ``audience`` of ``kind``, at once or in the digest, when ``condition(data)`` holds."""
    kind: str
    audience: str
    when: str = NOW
    condition: Callable[[dict], bool] = _always


QUIET = ()   # declared: nobody needs to hear of it

TABLE = {
    "report.submitted.v1": (Rule("report.submitted", "cluster_lead"),
                            Rule("report.late", "office_and_chair", NOW, late)),
    "report.resubmitted.v1": (Rule("report.resubmitted", "cluster_lead"),),
    "report.returned.v1": (Rule("report.returned", "unit"),),
    "report.reviewed.v1": QUIET,
    "report.finalized.v1": QUIET,
    "vote.opened.v1": (Rule("vote.opened", "members"),),
    "vote.ballot_cast.v1": QUIET,
    "vote.closed.v1": (Rule("vote.closed", "members"),),
    "ranking.updated.v1": (Rule("ranking.changed", "leaders", NOW, vote_result),
                           Rule("ranking.updated", "leaders", DIGEST, minor_change)),
    "report.excluded.v1": QUIET,
    # Each cluster runs its own period: the v2 events name the cluster, and so scope the notices.
    "period.opened.v2": QUIET,
    "period.closed.v2": QUIET,
    "period.scoring_started.v2": QUIET,
    "period.voting_started.v2": QUIET,
    "period.concluded.v2": (Rule("results.published", "cluster"),),
    "period.archived.v2": QUIET,
    "period.reopened.v1": (Rule("results.reopened", "cluster"),),   # everyone who got the results
    "template.published.v1": QUIET,
    "proposal.drafted.v1": QUIET,
    "proposal.updated.v1": QUIET,
    "proposal.discarded.v1": QUIET,
    "proposal.submitted.v1": (Rule("proposal.submitted", "leaders"),),
    "proposal.approved.v1": (Rule("proposal.decided", "cluster_lead"),),
    "proposal.rejected.v1": (Rule("proposal.decided", "cluster_lead"),),
}


# Kinds that reach people one by one, with the channels each gets by default. ``ranking.updated``
# is not here: it waits for the digest, which is a kind of its own.
PERSONAL = ("inbox", "email")
KINDS = {
    "report.submitted": PERSONAL,
    "report.resubmitted": PERSONAL,
    "report.late": PERSONAL,
    "report.returned": PERSONAL,
    "vote.opened": PERSONAL,
    "vote.closed": PERSONAL,
    "ranking.changed": PERSONAL,
    "results.published": PERSONAL,
    "results.reopened": PERSONAL,
    "deadline.approaching": PERSONAL,
    "deadline.missed": PERSONAL,
    "proposal.submitted": PERSONAL,
    "proposal.decided": PERSONAL,
    "digest": ("inbox",),
}


def decide(event):
    """The rules that apply to ``event``: ``[(kind, audience, when), ...]``, empty when nobody
    needs to hear of it. Raises :class:`Undeclared` for a type the table does not know."""
    rules = TABLE.get(event["type"])
    if rules is None:
        raise Undeclared(f"notifications declares no rules for {event['type']!r}; "
                         "declare it in services/notifications/rules.py, then replay the message")
    return [(r.kind, r.audience, r.when) for r in rules if r.condition(event["data"])]


def happening_key(event_id, index, kind):
    """The key of the notices of the ``index``-th rule that applies to an event: the event id for the
    first, the id and the kind for the others, so two rules of one event never share a notice id."""
    return event_id if index == 0 else f"{event_id}|{kind}"


def default_channels(kind):
    return KINDS.get(kind, ("inbox",))


MISSED = "missed"     # the stage of a run from its deadline on


def stage(entry, now, offsets_hours):
    """Which reminders a run taking reports is at: ``MISSED`` from its deadline on, else the
    nearest offset (hours before the deadline) whose time has come, else None. Only the
    nearest: a service that was down through the 3-day reminder and wakes up the day before
    sends the 1-day one, not both."""
    deadline = datetime.fromisoformat(entry["deadline"].replace("Z", "+00:00"))
    if now >= deadline:
        return MISSED
    due = [hours for hours in offsets_hours if now >= deadline - timedelta(hours=hours)]
    return min(due) if due else None


def stage_key(entry, at):
    """The name of a run's stage (``CUM-01|2021-Q1|24h``, ``CUM-01|2021-Q1|missed``): once every
    reminder of it is recorded, the stage is done and its run's reports are not read for it again."""
    return f"{entry['cluster']}|{entry['period']}|{at if at == MISSED else f'{at}h'}"


def reminders(entry, at):
    """The reminders of one run at stage ``at`` (see :func:`due_reminders`)."""
    if at == MISSED:
        for unit in entry["missing"]:
            yield "deadline.missed", f"missed|{entry['period']}|{unit}", entry["cluster"], unit, None, entry
        if entry["missing"]:   # the list, to the cluster lead, the standing office and the chair
            yield "deadline.missed", f"missed|{entry['period']}|{entry['cluster']}", entry["cluster"], None, None, entry
    elif at is not None:
        for unit in entry["missing"]:
            yield "deadline.approaching", f"due|{entry['period']}|{unit}|{at}h", entry["cluster"], unit, at, entry


def due_reminders(status, now, offsets_hours):
    """Reminders due at ``now`` from the submissions service's reporting status.

    Yields ``(kind, key, cluster, unit_or_None, offset_hours_or_None, entry)``; ``key``
    names the reminder once and for all, so sending it twice is recognisable.
    """
    for entry in status:
        yield from reminders(entry, stage(entry, now, offsets_hours))


def runs(status):
    """What notifications keeps of each cluster's run taking reports (from the reporting status):
    its chair and deadline, named in the late hand-in notices."""
    return [{"_id": f"{e['cluster']}|{e['period']}", **{k: e.get(k) for k in (
        "cluster", "cluster_name", "level", "period", "label", "deadline", "chair")}} for e in status]


def backoff_seconds(attempt, base):
    """Delay before retry number ``attempt`` (1, 2, …): base, 2*base, 4*base, …"""
    return base * 2 ** (attempt - 1)


def after_attempt(attempt, error, max_attempts, base, now):
    """What a queued notice becomes after delivery attempt number ``attempt``: sent, failed for
    good after the last attempt, or due again after the backoff."""
    if error is None:
        return {"status": "SENT", "sent_at": now, "last_error": None, "attempts": attempt}
    if attempt >= max_attempts:
        return {"status": "FAILED", "failed_at": now, "last_error": error, "attempts": attempt}
    return {"status": "PENDING", "last_error": error, "attempts": attempt,
            "next_attempt_at": now + timedelta(seconds=backoff_seconds(attempt, base))}


def retried(notice, now):
    """A failed notice sent again by an administrator: due now, its attempts counted afresh."""
    if notice["status"] != "FAILED":
        raise ValidationFailed(f"Notice {notice['_id']} is {notice['status']}; only a FAILED one is retried.")
    return {**notice, "status": "PENDING", "attempts": 0, "next_attempt_at": now}
