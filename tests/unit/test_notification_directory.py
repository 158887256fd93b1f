"""Notifications' own copy of the directory and the audiences computed from it: pure."""
import pytest

from services.notifications import directory

CLUSTER = {"_id": "CUM-01", "name": "Cụm thi đua số 1", "members": [
    {"unit": "U01", "role": "lead"}, {"unit": "U02", "role": "deputy"}, {"unit": "U03", "role": "member"}]}
PEOPLE = [
    {"_id": "thien.nh", "role": "provincial_leader", "unit": None, "name": "Thiên"},
    {"_id": "trung.th", "role": "standing_office", "unit": None},
    {"_id": "lanhdao.u01", "role": "unit_leader", "unit": "U01"},
    {"_id": "lanhdao.u02", "role": "unit_leader", "unit": "U02"},
    {"_id": "canbo.u02", "role": "unit_officer", "unit": "U02"},
    {"_id": "lanhdao.u03", "role": "unit_leader", "unit": "U03"},
    {"_id": "canbo.u03", "role": "unit_officer", "unit": "U03"},
    {"_id": "canbo.u09", "role": "unit_officer", "unit": "U09"},   # another cluster's
    {"_id": "admin", "role": "administrator", "unit": None},
]


def ids(people):
    return [p["id"] for p in people]


@pytest.mark.parametrize("who, expected", [
    ("leaders", ["lanhdao.u01", "lanhdao.u02", "thien.nh", "trung.th"]),
    ("cluster_lead", ["lanhdao.u01", "lanhdao.u02"]),
    ("members", ["canbo.u02", "canbo.u03", "lanhdao.u01", "lanhdao.u02", "lanhdao.u03"]),
    ("everyone", ["canbo.u02", "canbo.u03", "canbo.u09", "lanhdao.u01", "lanhdao.u02", "lanhdao.u03", "thien.nh",
                  "trung.th"]),
])
def test_cluster_audiences(who, expected):
    assert ids(directory.audience(who, PEOPLE, cluster=CLUSTER)) == expected


def test_a_units_audience_is_its_own_people_and_the_copy_shows_them_as_the_api_does():
    people = directory.audience("unit", PEOPLE, unit="U03")
    assert ids(people) == ["canbo.u03", "lanhdao.u03"]
    assert people[1] == {"id": "lanhdao.u03", "role": "unit_leader", "unit": "U03"}


def test_an_unknown_audience_is_a_programming_error():
    with pytest.raises(ValueError):
        directory.audience("friends", PEOPLE, cluster=CLUSTER)


def test_what_an_audience_needs_from_the_copy():
    assert directory.needs("everyone", "CUM-01", None) is None
    assert directory.needs("unit", "CUM-01", "U03") == ("units", "U03")
    assert directory.needs("leaders", "CUM-01", None) == ("clusters", "CUM-01")


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


def test_an_older_event_delivered_late_does_not_overwrite_a_newer_copy():
    stored = {"_id": "U03", "name": "new", "_at": "2021-04-02T00:00:00.000Z"}
    assert directory.newer(None, {"_at": "2021-04-01T00:00:00.000Z"})
    assert not directory.newer(stored, {"_at": "2021-04-01T00:00:00.000Z"})
    assert directory.newer(stored, {"_at": "2021-04-02T00:00:00.000Z"})   # the same event again: harmless
    assert directory.newer(stored, {"_at": "2021-04-03T00:00:00.000Z"})
