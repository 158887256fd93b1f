"""What telling people reads of the service's own copies: the cluster or unit, the people of the
audience, their preferences, what a channel loads. Through what the process keeps
(``thidua.kept``): an event reads one set of counters, and the documents only when a kept
collection changed since they were read. ``reads`` is the worker's ``remembered.reads()``."""
from services.notifications import audiences, directory
from thidua.mongo import find_in


def audience(db, reads, who, cluster=None, unit=None, chair=None):
    """The people of audience ``who`` (``audiences.audience``); raises ``NotInDirectory`` when the copy
    lacks the cluster or unit it needs."""
    needed = audiences.needs(who, cluster, unit)
    found = reads.one(needed, lambda: db[needed[0]].find_one({"_id": needed[1]})) if needed else None
    if needed and found is None:
        raise directory.NotInDirectory(f"notifications' copy of the directory has no {needed[0][:-1]} "
                                       f"{needed[1]!r} yet")
    cluster = found if needed and needed[0] == "clusters" else None
    people = [p for field, values in audiences.candidates(who, cluster, unit, chair)
              for each in reads.each(("people", field), values, lambda missing, field=field: _people(
                  db, field, missing), absent=()).values() for p in each]
    return audiences.audience(who, people, cluster=cluster, unit=unit, chair=chair)


def _people(db, field, values):
    """``{value: [people]}``: the people whose ``field`` is each of ``values``."""
    found = {}
    for person in find_in(db.people, field, values):
        found.setdefault(person.get(field), []).append(person)
    return found


def preferences(db, reads, persons):
    """``{person: stored preferences or None}``."""
    return reads.each("preferences", persons, lambda missing: {p["_id"]: p for p in find_in(
        db.preferences, "_id", missing)})


def loaded(db, reads, enabled):
    """``{channel name: what its load returned}`` for the ``enabled`` channels; kept for a channel
    that says its load may be (``keeps_load``)."""
    return {channel.name: reads.one(("load", channel.name), lambda channel=channel: channel.load(db))
            if getattr(channel, "keeps_load", False) else channel.load(db) for channel in enabled}
