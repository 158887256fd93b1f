"""Cursor paging for every list that can grow (the inbox, the audit trail, reports, failed notices).

A list is read in a fixed order that ends in ``_id``, so no two entries tie. A page's ``next`` cursor
holds the sort key of the page's last entry (and which list it belongs to), as base64 of JSON: the
next page starts strictly after that key, so entries inserted meanwhile never shift what follows and
no entry is shown twice or skipped. Clients treat the cursor as opaque; a malformed one, or one from
another list, is refused with ``INVALID_QUERY``.
"""
import base64
import binascii
import json
from datetime import datetime

from thidua.errors import InvalidQuery, ValidationFailed

MAX_CURSOR = 512   # far above any real cursor; anything longer is not one of ours
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


def page(collection, filters, sort, *, name, limit, most, cursor=None, keep=None, shown=lambda d: d):
    """``{"items": [...], "next": cursor | None}``: at most ``limit`` documents of ``collection``
    matching ``filters`` in the order ``sort`` (its last field is ``_id``), after ``cursor``.
    ``keep`` drops documents the reader may not see (they never count towards ``limit``);
    ``shown`` turns a document into what the reader gets."""
    check_limit(limit, most)
    if cursor is not None:
        filters = {"$and": [filters, after(sort, decode(name, cursor, len(sort)))]}
    found = collection.find(filters).sort(sort)
    if keep is None:
        found = found.limit(limit + 1)   # one more than shown tells whether a next page exists
    items, more = [], False
    for document in found:
        if keep is not None and not keep(document):
            continue
        if len(items) == limit:
            more = True
            break
        items.append(document)
    return {"items": [shown(d) for d in items],
            "next": encode(name, key_of(items[-1], sort)) if more else None}
