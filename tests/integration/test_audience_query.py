"""An event reads from notifications' copy of the directory only the people its audience may hold
(not the whole province's), and the audience chosen from them is the one chosen from everyone."""
import pytest

from services.notifications import audiences
from thidua.mongo import find_in
from tests.unit.test_notification_audiences import CLUSTER, MINISTRY, OTHER, PEOPLE

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("cluster", [CLUSTER, OTHER, MINISTRY])
@pytest.mark.parametrize("chair", [None, "thien.nh", "bo.lanhdao"])
@pytest.mark.parametrize("who", sorted(audiences.AUDIENCES))
def test_the_people_read_for_an_audience_hold_all_of_it_and_no_other_clusters_units(db_of, who, cluster, chair):
    people = db_of("notifications").people
    people.insert_many([dict(p) for p in PEOPLE])
    unit = cluster["members"][-1]["unit"]
    queries = audiences.candidates(who, cluster, unit, chair)
    # Each query is answered by one index (a $or is a scan of every person on the embedded server).
    assert all(field in ("unit", "role", "_id") for field, _ in queries)
    read = [p for field, values in queries for p in find_in(people, field, values)]
    assert audiences.audience(who, read, cluster=cluster, unit=unit, chair=chair) == \
        audiences.audience(who, PEOPLE, cluster=cluster, unit=unit, chair=chair)
    if who != "everyone":
        members = {m["unit"] for m in cluster["members"]}
        strangers = {p["_id"] for p in PEOPLE if p.get("unit") and p["unit"] not in members}
        assert not strangers & {p["_id"] for p in read}
