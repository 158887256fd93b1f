"""Paging on the real database (thidua.paging): the pages of a list, walked with their cursors, are
the whole list in its order, each entry once, whether it is read in one query or in slices of
growing age; and no page asks the server for a ``$or`` (which the embedded server answers by
reading every document of the collection)."""
import random
from datetime import datetime, timedelta, timezone

import pytest

from thidua import paging

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)
ORDER = [("created_at", -1), ("_id", 1)]
AGES = [timedelta(0), timedelta(minutes=1), timedelta(hours=5), timedelta(days=1), timedelta(days=1, seconds=1),
        timedelta(days=30), timedelta(days=64), timedelta(days=65), timedelta(days=400), timedelta(days=4000),
        timedelta(days=9000), timedelta(days=12000)]


@pytest.fixture
def notices(db_of):
    """Entries of two people over 33 years, newest first, several tied on their time; and the profiler on."""
    rnd = random.Random(7)
    documents = [{"_id": f"n{i:03d}", "person": "p" if i % 4 else "q", "created_at": NOW - rnd.choice(AGES),
                  "hidden": i % 5 == 0} for i in range(160)]
    db = db_of("paging")
    db.inbox.insert_many(documents)
    db.inbox.create_index([("person", 1), ("created_at", -1)])
    db.command("profile", 2)
    db.system.profile.drop()
    yield db.inbox
    db.command("profile", 0)


def walk(collection, limit, **options):
    """Every page of p's list, from the first to the last, through the cursors."""
    shown, cursor = [], None
    while True:
        found = paging.page(collection, {"person": "p"}, ORDER, name="inbox", limit=limit, most=200,
                            cursor=cursor, shown=lambda d: d["_id"], **options)
        shown.append(found["items"])
        if found["next"] is None:
            return shown
        cursor = found["next"]


@pytest.mark.parametrize("recent", [None, paging.RECENT, timedelta(minutes=30)])
@pytest.mark.parametrize("limit", [1, 3, 7, 50, 200])
def test_the_pages_walked_are_the_whole_list_in_order_each_entry_once(notices, limit, recent):
    whole = [d["_id"] for d in notices.find({"person": "p"}).sort(ORDER)]
    pages = walk(notices, limit, recent=recent, now=NOW)
    assert [i for page in pages for i in page] == whole
    assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit


@pytest.mark.parametrize("recent", [None, paging.RECENT])
def test_entries_the_reader_may_not_see_are_passed_over_without_shifting_the_pages(notices, recent):
    whole = [d["_id"] for d in notices.find({"person": "p", "hidden": False}).sort(ORDER)]
    pages = walk(notices, 4, recent=recent, now=NOW, keep=lambda d: not d["hidden"])
    assert [i for page in pages for i in page] == whole


def test_no_page_asks_for_a_or(notices):
    walk(notices, 3, recent=paging.RECENT, now=NOW)
    walk(notices, 3)
    asked = [entry["command"]["filter"] for entry in notices.database.system.profile.find({"command.find": "inbox"})]
    assert len(asked) > 10 and not any("$or" in str(query) for query in asked)
