"""Notifications' own copy of the directory: pure."""
from services.notifications import directory


def event(event_type, field, document, at):
    return {"id": "e", "type": event_type, "occurred_at": at, "data": {field: document}}


def test_a_directory_event_becomes_a_stored_copy_without_account_fields():
    person = {"id": "canbo.u03", "name": "Cán bộ", "role": "unit_officer", "unit": "U03", "email": "c@example.com",
              "password_hash": "x", "locked_until": None}
    collection, document = directory.copy_of(event("person.upserted.v1", "person", person, "2021-04-01T01:00:00.000Z"))
    assert collection == "people"
    assert document == {"_id": "canbo.u03", "name": "Cán bộ", "role": "unit_officer", "unit": "U03",
                        "email": "c@example.com", "_at": "2021-04-01T01:00:00.000Z", "_event": "e"}
    assert directory.copy_of(event("unit.upserted.v1", "unit", {"id": "U03", "name": "P"}, "t"))[0] == "units"
    assert directory.copy_of(event("cluster.upserted.v1", "cluster", {"id": "C", "members": []}, "t"))[0] == "clusters"
