"""Each person's unread count, kept beside the inbox as notices are written and read.

Every open page asks for its inbox and the unread count every 3 s. Counted from the inbox, the count
read every unread notice of the person: 330 ms of the embedded server, all other requests waiting,
for a leader with 13,333 unread (README, The embedded database and long ``$in`` lists). So the count
is a document per person (``unread``), changed in the transaction that changes the inbox: the
notices a recording adds (only those it inserts: a happening recorded again adds none), and a notice
marked read. A person's count is taken from the inbox once, the first time it is asked
(``counted``): until then the changes only approximate it, and the count replaces them. The
transaction that takes it writes the person's document, so it and a recording that adds a notice
meanwhile cannot both commit: the later runs again and sees the other's work.
"""
from collections import Counter

from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from thidua.errors import UnknownNotice
from thidua.events import utcnow

COLLECTION = "unread"
INBOX = "inbox"


def added(tx, collection, documents):
    """``documents`` were just inserted into ``collection`` in ``tx``: count those of the inbox."""
    if collection != INBOX or not documents:
        return
    persons = Counter(document["person"] for document in documents)
    tx.db[COLLECTION].bulk_write([UpdateOne({"_id": person}, {"$inc": {"count": n}}, upsert=True)
                                  for person, n in sorted(persons.items())], session=tx.session)


def mark_read(tx, person, notice):
    """``person`` read ``notice`` (their own): it is marked, audited and counted once."""
    before = tx.find_one(INBOX, {"_id": notice, "person": person})
    if before is None:
        raise UnknownNotice(f"{person} has no notice {notice!r}.")
    if before["read_at"] is None:
        tx.record("notice.read", "notice", notice, before, tx.replace(INBOX, before, {**before, "read_at": utcnow()}))
        tx.db[COLLECTION].update_one({"_id": person}, {"$inc": {"count": -1}}, session=tx.session)


def count(db, uow, person):
    """``person``'s unread notices: their count, taken from the inbox the first time it is asked."""
    kept = db[COLLECTION].find_one({"_id": person})
    if kept is not None and kept.get("counted"):
        return kept["count"]
    return uow.run(lambda tx: _take(tx, person), retry_on=(DuplicateKeyError,))


def _take(tx, person):
    counted = tx.db[INBOX].count_documents({"person": person, "read_at": None}, session=tx.session)
    tx.db[COLLECTION].update_one({"_id": person}, {"$set": {"count": counted, "counted": True}}, upsert=True,
                                 session=tx.session)
    return counted
