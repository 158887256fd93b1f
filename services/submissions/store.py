"""Storage of the submissions service: its collections and indexes."""
from pymongo import ASCENDING, DESCENDING

from thidua import audit, outbox


def ensure_indexes(db):
    db.reports.create_index([("unit", ASCENDING), ("period", ASCENDING)], unique=True)
    db.reports.create_index([("cluster", ASCENDING), ("period", ASCENDING)])
    db.people.create_index([("role", ASCENDING)])
    db.people.create_index([("unit", ASCENDING)])
    db.clusters.create_index([("year", ASCENDING), ("members.unit", ASCENDING)])
    db.templates.create_index([("id", ASCENDING), ("version", DESCENDING)], unique=True)
    db.runs.create_index([("period", ASCENDING), ("level", ASCENDING)])
    db.runs.create_index([("state", ASCENDING)])
    db.vote_sessions.create_index([("cluster", ASCENDING), ("period", ASCENDING)], unique=True)
    db.proposals.create_index([("cluster", ASCENDING), ("period", ASCENDING)])
    db.proposals.create_index([("state", ASCENDING)])
    db.evidence.create_index([("unit", ASCENDING)])
    audit.ensure_indexes(db)
    db.audit.create_index([("context.unit", ASCENDING), ("at", DESCENDING)])
    db.audit.create_index([("context.period", ASCENDING), ("at", DESCENDING)])
    outbox.ensure_indexes(db)


def cluster_of(db, unit, year, session=None):
    """The cluster a unit belongs to in ``year`` (one per level per year)."""
    return db.clusters.find_one({"year": year, "members.unit": unit}, session=session)


def template(db, template_id, version, session=None):
    return db.templates.find_one({"id": template_id, "version": version}, session=session)

