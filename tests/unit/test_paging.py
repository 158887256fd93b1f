"""The cursor every growing list pages with (thidua.paging): pure, no database."""
import base64
import json
from datetime import datetime, timezone

import pytest

from thidua import paging
from thidua.errors import InvalidQuery, ValidationFailed

ORDER = [("created_at", -1), ("_id", 1)]
AT = datetime(2026, 11, 26, 20, 1, 2, 345000, tzinfo=timezone.utc)


def test_a_cursor_gives_back_the_key_it_was_made_from():
    cursor = paging.encode("inbox", [AT, "n1"])
    assert paging.decode("inbox", cursor, 2) == [AT, "n1"]
    assert len(cursor) < paging.MAX_CURSOR and "=" not in cursor   # safe in a query string as it is


def test_after_selects_strictly_later_entries_in_the_lists_order():
    assert paging.after(ORDER, [AT, "n1"]) == {"$or": [
        {"created_at": {"$lt": AT}},
        {"created_at": {"$eq": AT}, "_id": {"$gt": "n1"}}]}


def forged(document):
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


@pytest.mark.parametrize("cursor", [
    "", "not base64!", "x" * (paging.MAX_CURSOR + 1), forged([1, 2]), forged({"list": "inbox"}),
    forged({"list": "inbox", "after": ["x"]}), forged({"list": "inbox", "after": [{"$where": "1"}, "n1"]}),
    forged({"list": "inbox", "after": [{"$dt": "yesterday"}, "n1"]}), forged({"list": "inbox", "after": [[1], "n"]}),
    paging.encode("reports", [AT, "n1"]),   # another list's cursor
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_a_malformed_or_foreign_cursor_is_refused_with_invalid_query(cursor):
    with pytest.raises(InvalidQuery, match="cursor is not a cursor of this list"):
        paging.decode("inbox", cursor, 2)


class Collection:
    """Just enough of a collection for a page: the order is the list's, the filter is not evaluated."""

    def __init__(self, documents):
        self.documents, self.asked = documents, []

    def find(self, filters):
        self.asked.append(filters)
        documents = self.documents

        class Found(list):
            def sort(self, _):
                return self

            def limit(self, n):
                return Found(self[:n])
        return Found(documents)


def test_a_page_says_whether_another_follows_and_where():
    documents = [{"_id": f"n{i}", "created_at": AT} for i in range(3)]
    first = paging.page(Collection(documents), {"person": "p"}, ORDER, name="inbox", limit=2, most=200)
    assert [d["_id"] for d in first["items"]] == ["n0", "n1"]
    assert paging.decode("inbox", first["next"], 2) == [AT, "n1"]
    whole = paging.page(Collection(documents), {}, ORDER, name="inbox", limit=3, most=200)
    assert whole["next"] is None


def test_the_next_page_asks_for_a_range_from_the_cursor_within_the_filters_and_passes_over_ties_before_it():
    """A range, not the ``$or`` of ``after``: the embedded server reads a whole collection for a ``$or``."""
    documents = [{"_id": f"n{i}", "created_at": AT} for i in range(4)]
    collection = Collection(documents)
    shown = paging.page(collection, {"person": "p"}, ORDER, name="inbox", limit=5, most=200,
                        cursor=paging.encode("inbox", [AT, "n1"]))
    assert collection.asked == [{"person": "p", "created_at": {"$lte": AT}}]
    assert [d["_id"] for d in shown["items"]] == ["n2", "n3"]      # n0 and n1 are not after the cursor


def test_a_list_newest_first_is_read_in_contiguous_slices_of_growing_age_down_to_the_oldest():
    collection = Collection([])
    paging.page(collection, {"person": "p"}, ORDER, name="inbox", limit=5, most=200, recent=paging.RECENT, now=AT)
    bounds = [asked["created_at"] for asked in collection.asked]
    assert bounds[0] == {"$gte": AT - paging.RECENT}                                  # the newest, open above
    assert all(later["$lt"] == earlier["$gte"] for earlier, later in zip(bounds, bounds[1:]))   # no gap, no overlap
    assert [b["$gte"] - b["$lt"] for b in bounds[1:-1]] == [-paging.RECENT * paging.GROWTH ** k
                                                            for k in range(1, len(bounds) - 1)]
    assert set(bounds[-1]) == {"$lt"} and len(bounds) <= 5                            # the last reaches the oldest


def test_entries_the_reader_may_not_see_neither_count_nor_show():
    documents = [{"_id": f"n{i}", "created_at": AT, "secret": i % 2 == 1} for i in range(6)]
    shown = paging.page(Collection(documents), {}, ORDER, name="inbox", limit=2, most=200,
                        keep=lambda d: not d["secret"], shown=lambda d: d["_id"])
    assert shown["items"] == ["n0", "n2"] and paging.decode("inbox", shown["next"], 2) == [AT, "n2"]
    last = paging.page(Collection(documents), {}, ORDER, name="inbox", limit=3, most=200,
                       keep=lambda d: not d["secret"], shown=lambda d: d["_id"])
    assert last == {"items": ["n0", "n2", "n4"], "next": None}   # no empty page after the last one


@pytest.mark.parametrize("limit", [0, 201, "5", True, None])
def test_a_limit_outside_the_lists_range_is_refused(limit):
    with pytest.raises(ValidationFailed, match="limit must be a whole number from 1 to 200"):
        paging.page(Collection([]), {}, ORDER, name="inbox", limit=limit, most=200)
