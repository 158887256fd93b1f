"""Cursor paging for every list that can grow (the inbox, the audit trail, reports, failed notices).

A list is read in a fixed order that ends in ``_id``, so no two entries tie. A page's ``next`` cursor
holds the sort key of the page's last entry (and which list it belongs to), as base64 of JSON: the
next page starts strictly after that key, so entries inserted meanwhile never shift what follows and
no entry is shown twice or skipped. Clients treat the cursor as opaque; a malformed one, or one from
another list, is refused with ``INVALID_QUERY``.

What follows a cursor is asked as a range on the order's first field (the entries tied with the
cursor on it, not after it, are passed over here), never as a ``$or``: the embedded server answers
a ``$or`` by reading every document of the collection. A list newest first by a time (the inbox,
the audit trail) is read in slices of growing age (``recent``): the embedded server reads and
sorts every document a query matches before it hands out the first, so a leader's first page of
an inbox of 20,000 notices cost it 0.8 s, and one day of them 17 ms (README, The embedded
database and long ``$in`` lists).
"""
import base64
import binascii
import json
from datetime import datetime, timedelta

from thidua.errors import InvalidQuery, ValidationFailed
from thidua.events import utcnow

MAX_CURSOR = 512   # far above any real cursor; anything longer is not one of ours
RECENT = timedelta(days=1)   # the first slice of a list newest first by a time (``page``'s ``recent``)
GROWTH = 64        # each slice of a list read by age spans this many times the one before
ENOUGH = timedelta(days=366 * 20)   # no slice spans more: the one after reaches the oldest entry
AGAIN = "Send the 'next' value of the previous page unchanged, or leave cursor out to start at the first page."


def _value(value):
    return {"$dt": value.isoformat()} if isinstance(value, datetime) else value


def _restored(value):
    if isinstance(value, dict):
        if set(value) != {"$dt"} or not isinstance(value["$dt"], str):
            raise ValueError("not a key value")
        return datetime.fromisoformat(value["$dt"])
    if value is not None and not isinstance(value, (str, int, float)):
        raise ValueError("not a key value")
    return value


def key_of(document, sort):
    return [document.get(field) for field, _ in sort]


def encode(name, values):
    """The opaque cursor after a document whose sort key is ``values``, in the list ``name``."""
    text = json.dumps({"list": name, "after": [_value(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(name, cursor, width):
    """The sort key a cursor of the list ``name`` points after; ``InvalidQuery`` if it is not one."""
    try:
        if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_CURSOR:
            raise ValueError("length")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        shown = json.loads(raw.decode())
        if not isinstance(shown, dict) or shown.get("list") != name:
            raise ValueError("another list")
        values = shown.get("after")
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("width")
        return [_restored(v) for v in values]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidQuery(f"cursor is not a cursor of this list. {AGAIN}") from exc


def after(sort, values):
    """The filter for the entries strictly after the key ``values`` in the order ``sort``."""
    branches = []
    for i, (field, direction) in enumerate(sort):
        branch = {f: {"$eq": v} for (f, _), v in zip(sort[:i], values[:i])}
        branch[field] = {"$gt" if direction > 0 else "$lt": values[i]}
        branches.append(branch)
    return {"$or": branches}


def check_limit(limit, most):
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most:
        raise ValidationFailed(f"limit must be a whole number from 1 to {most}.")


def page(collection, filters, sort, *, name, limit, most, cursor=None, keep=None, shown=lambda d: d,
         recent=None, now=None):
    """``{"items": [...], "next": cursor | None}``: at most ``limit`` documents of ``collection``
    matching ``filters`` in the order ``sort`` (its last field is ``_id``), after ``cursor``.
    ``keep`` drops documents the reader may not see (they never count towards ``limit``);
    ``shown`` turns a document into what the reader gets. ``recent``: for a list newest first by a
    time (``sort`` starts with it, descending), the span of the first slice read, the newest;
    each next slice reaches ``GROWTH`` times further back (``now``: the top of the first page).
    An entry without a value for the order's first field is not listed once a cursor or ``recent``
    bounds it (every list here stamps it on every entry)."""
    check_limit(limit, most)
    start = None if cursor is None else decode(name, cursor, len(sort))
    items, more = [], False
    for document in _ordered(collection, filters, sort, start, recent, now, None if keep else limit + 1):
        if keep is not None and not keep(document):
            continue
        if len(items) == limit:
            more = True
            break
        items.append(document)
    return {"items": [shown(d) for d in items],
            "next": encode(name, key_of(items[-1], sort)) if more else None}


def _ordered(collection, filters, sort, start, recent, now, wanted):
    """The documents of ``filters`` strictly after ``start`` in the order ``sort``, slice by slice;
    ``wanted``: how many are asked for at most (None: unknown)."""
    field, direction = sort[0]
    ranged = len(sort) == 2 and start is not None
    if start is not None and not ranged:
        filters = {"$and": [filters, after(sort, start)]}
    given = 0
    for bounds, ties in _slices(field, direction, start if ranged else None, recent, now):
        found = collection.find(_within(filters, field, bounds)).sort(sort)
        if wanted is not None and not ties:
            found = found.limit(wanted - given)
        for document in found:
            if ties and _not_after(document, sort, start):
                continue
            yield document
            given += 1
            if wanted is not None and given >= wanted:
                return


def _within(filters, field, bounds):
    """``filters`` with the slice's ``bounds`` on ``field`` (None: no bounds)."""
    if not bounds:
        return filters
    return {**filters, field: bounds} if field not in filters else {"$and": [filters, {field: bounds}]}


def _slices(field, direction, start, recent, now):
    """``(bounds on the first field, whether entries tied with the cursor may be among them)`` of each
    query, in the list's order: one query, or (``recent``, newest first) slices of growing age."""
    edge = {1: "$gte", -1: "$lte"}[direction]
    if recent is None or direction > 0:
        yield ({edge: start[0]} if start is not None else None), start is not None
        return
    top = start[0] if start is not None else None
    low = (top if top is not None else now or utcnow()) - recent
    yield {"$gte": low, **({} if top is None else {"$lte": top})}, top is not None
    span = recent
    while span * GROWTH < ENOUGH:
        span, upper = span * GROWTH, low
        low = upper - span
        yield {"$gte": low, "$lt": upper}, False
    yield {"$lt": low}, False


def _not_after(document, sort, start):
    """Whether ``document``, tied with the cursor on the first field, is not strictly after it."""
    (field, _), (last, direction) = sort
    if document.get(field) != start[0]:
        return False
    return document[last] <= start[1] if direction > 0 else document[last] >= start[1]
