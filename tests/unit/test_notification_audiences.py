"""Who is told, computed from notifications' copy of the directory: pure. A cluster's notices reach
its own people and the leaders of its level, never another cluster's units."""
import pytest

from services.notifications import audiences

CLUSTER = {"_id": "CUM-01", "name": "Cụm thi đua số 1", "level": "province", "members": [
    {"unit": "U01", "role": "lead"}, {"unit": "U02", "role": "deputy"}, {"unit": "U03", "role": "member"}]}
OTHER = {"_id": "CUM-02", "name": "Cụm thi đua số 2", "members": [{"unit": "U09", "role": "lead"}]}
MINISTRY = {"_id": "CUM-BCA-5", "name": "Cụm thi đua số 5", "level": "ministry",
            "members": [{"unit": "CAT-HT", "role": "member"}]}
PEOPLE = [
    {"_id": "thien.nh", "role": "provincial_leader", "unit": None, "name": "Thiên"},
    {"_id": "trung.th", "role": "standing_office", "unit": None},
    {"_id": "lanhdao.u01", "role": "unit_leader", "unit": "U01"},
    {"_id": "lanhdao.u02", "role": "unit_leader", "unit": "U02"},
    {"_id": "canbo.u02", "role": "unit_officer", "unit": "U02"},
    {"_id": "lanhdao.u03", "role": "unit_leader", "unit": "U03"},
    {"_id": "canbo.u03", "role": "unit_officer", "unit": "U03"},
    {"_id": "lanhdao.u09", "role": "unit_leader", "unit": "U09"},   # another cluster's
    {"_id": "canbo.u09", "role": "unit_officer", "unit": "U09"},    # another cluster's
    {"_id": "bo.lanhdao", "role": "provincial_leader", "level": "ministry"},
    {"_id": "bo.thuongtruc", "role": "standing_office", "level": "ministry"},
    {"_id": "canbo.cat", "role": "unit_officer", "unit": "CAT-HT"},
    {"_id": "admin", "role": "administrator", "unit": None},
]


def ids(people):
    return [p["id"] for p in people]


@pytest.mark.parametrize("who, expected", [
    ("leaders", ["lanhdao.u01", "lanhdao.u02", "thien.nh", "trung.th"]),
    ("cluster_lead", ["lanhdao.u01", "lanhdao.u02"]),
    ("members", ["canbo.u02", "canbo.u03", "lanhdao.u01", "lanhdao.u02", "lanhdao.u03"]),
    ("cluster", ["canbo.u02", "canbo.u03", "lanhdao.u01", "lanhdao.u02", "lanhdao.u03", "thien.nh", "trung.th"]),
    ("office_and_chair", ["thien.nh", "trung.th"]),
    ("lead_office_chair", ["lanhdao.u01", "lanhdao.u02", "thien.nh", "trung.th"]),
])
def test_cluster_audiences_stay_within_the_cluster_and_its_levels_leaders(who, expected):
    chosen = ids(audiences.audience(who, PEOPLE, cluster=CLUSTER, chair="thien.nh"))
    assert chosen == expected
    assert not {"canbo.u09", "lanhdao.u09", "bo.lanhdao", "bo.thuongtruc", "admin"} & set(chosen)


def test_without_a_known_chair_the_standing_office_alone_hears_of_late_hand_ins():
    assert ids(audiences.audience("office_and_chair", PEOPLE, cluster=CLUSTER)) == ["trung.th"]


def test_another_clusters_people_never_hear_of_this_one_and_vice_versa():
    other = ids(audiences.audience("cluster", PEOPLE, cluster=OTHER))
    assert other == ["canbo.u09", "lanhdao.u09", "thien.nh", "trung.th"]   # a cluster without a level: province


def test_a_ministry_cluster_reaches_the_ministrys_leaders_not_the_provinces():
    assert ids(audiences.audience("cluster", PEOPLE, cluster=MINISTRY)) == ["bo.lanhdao", "bo.thuongtruc",
                                                                             "canbo.cat"]
    assert ids(audiences.audience("office_and_chair", PEOPLE, cluster=MINISTRY, chair="bo.lanhdao")) == [
        "bo.lanhdao", "bo.thuongtruc"]


def test_everyone_is_kept_only_for_a_period_event_that_names_no_cluster():
    assert "canbo.u09" in ids(audiences.audience("everyone", PEOPLE))


def test_a_person_in_two_groups_is_told_once():
    chosen = ids(audiences.audience("lead_office_chair", PEOPLE, cluster=CLUSTER, chair="trung.th"))
    assert chosen == ["lanhdao.u01", "lanhdao.u02", "trung.th"]


def test_a_units_audience_is_its_own_people_and_the_copy_shows_them_as_the_api_does():
    people = audiences.audience("unit", PEOPLE, unit="U03")
    assert ids(people) == ["canbo.u03", "lanhdao.u03"]
    assert people[1] == {"id": "lanhdao.u03", "role": "unit_leader", "unit": "U03"}


def test_an_unknown_audience_is_a_programming_error():
    with pytest.raises(ValueError):
        audiences.audience("friends", PEOPLE, cluster=CLUSTER)


def test_what_an_audience_needs_from_the_copy():
    assert audiences.needs("everyone", "CUM-01", None) is None
    assert audiences.needs("unit", "CUM-01", "U03") == ("units", "U03")
    assert audiences.needs("leaders", "CUM-01", None) == ("clusters", "CUM-01")
    assert audiences.needs("office_and_chair", "CUM-01", None) == ("clusters", "CUM-01")
