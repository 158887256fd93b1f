"""Two clusters run one quarter on their own, end to end over HTTP: Cluster No. 2 goes through its
Q3/2021 to the conclusion (reports, reviews, a secret vote, the standing office's conclusion) while
Cluster No. 1's run of the same quarter stays open; its units still hand in; the results and the
deadline notices reach only the concluding cluster's people (and the leaders)."""
from nameko.standalone.rpc import ClusterRpcProxy

from tests.e2e.test_flow import JSON, as_, get, inbox, post
from tests.helpers import eventually
from thidua.caller import as_system

PERIOD = "2021-Q3"
SECOND = {"D01": "lanhdao.d01", "D02": "canbo.d02", "D03": "canbo.d03"}
FIRST_PEOPLE = ("hanh.ptv", "lanhdao.u02", "canbo.u01", "canbo.u02", "canbo.u03", "canbo.u04")
SECOND_PEOPLE = ("lanhdao.d01", "canbo.d01", "canbo.d02", "canbo.d03")
CONCLUSION = "Cụm thi đua số 2 hoàn thành tốt nhiệm vụ quý III; tiếp tục đẩy mạnh phong trào thi đua."


def body(unit):
    return {"unit": unit, "period": PERIOD, "values": {"C1.1": {"actual": 95}, "C2.1": {"passed": True}},
            "self_scores": {"C1.1": 9, "C2.1": 5}}


def run(platform, cluster):
    return get(platform, f"/clusters/{cluster}/periods/{PERIOD}").json()


def move(platform, cluster, action, person="trung.th", **more):
    response = post(platform, f"/clusters/{cluster}/periods/{PERIOD}/transitions",
                    {"action": action, "version": run(platform, cluster)["version"], **more}, as_(person))
    assert response.status_code == 200, response.text
    return response.json()


def notices(platform, person, kind):
    return [n for n in inbox(platform, person)["items"] if n["kind"] == kind and PERIOD in (n.get("link") or "")]


def run_reminders(platform):
    caller = as_system("e2e-reminders", {"SERVICE_SECRET": platform.env["SERVICE_SECRET"]})
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=30, context_data={"caller": caller}) as rpc:
        return rpc.notifications.run_reminders()


def test_two_clusters_run_one_quarter_and_no_notice_crosses_between_them(platform):
    planned = post(platform, "/periods", {
        "code": PERIOD, "kind": "quarter", "year": 2021, "label": "Quý III/2021",
        "starts_on": "2021-07-01T00:00:00+07:00", "ends_on": "2021-09-30T23:59:59+07:00",
        "deadline": "2021-10-10T17:00:00+07:00", "template": {"id": "TCTD-CAT-2021", "version": 1}}, as_("trung.th"))
    assert planned.status_code == 200, planned.text
    opened = post(platform, f"/periods/{PERIOD}/transitions", {"action": "open", "level": "province"},
                  as_("trung.th")).json()
    states = {r["cluster"]: r["state"] for r in opened["results"] if r["ok"]}
    assert (states["CUM-01"], states["CUM-02"]) == ("OPEN", "OPEN")
    for unit, person in [("D01", "canbo.d01"), ("D02", "canbo.d02"), ("D03", "canbo.d03"), ("U01", "canbo.u01")]:
        assert post(platform, "/reports", body(unit), as_(person)).status_code == 201

    # Cluster No. 2 plays its quarter through to the conclusion.
    move(platform, "CUM-02", "close")
    move(platform, "CUM-02", "start_scoring")
    for report in get(platform, "/reports", cluster="CUM-02", period=PERIOD).json()["items"]:
        reviewed = post(platform, f"/reports/{report['id']}/review", {"version": report["version"]},
                        as_("lanhdao.d01"))
        assert reviewed.status_code == 200, reviewed.text
    move(platform, "CUM-02", "start_voting")
    vote = f"/clusters/CUM-02/periods/{PERIOD}/vote"
    assert post(platform, f"{vote}/open", {}, as_("lanhdao.d01")).status_code == 200
    for unit, person in SECOND.items():
        token = post(platform, f"{vote}/token", {}, as_(person)).json()["token"]
        cast = post(platform, f"{vote}/ballots", {"token": token, "leading_unit": "D01"}, JSON)
        assert cast.status_code == 201, cast.text
    assert post(platform, f"{vote}/close", {}, as_("lanhdao.d01")).status_code == 200
    concluded = move(platform, "CUM-02", "conclude", conclusion=CONCLUSION)
    assert concluded["state"] == "CONCLUDED" and concluded["conclusion"]["text"] == CONCLUSION

    # Cluster No. 1's run of the same quarter is still open and its units still hand in.
    assert run(platform, "CUM-01")["state"] == "OPEN"
    assert post(platform, "/reports", body("U02"), as_("canbo.u02")).status_code == 201
    changed = post(platform, "/reports", body("D02"), as_("canbo.d02"))
    assert (changed.status_code, changed.json()["error"]["code"]) == (409, "RUN_CONCLUDED")
    closed = post(platform, f"{vote}/close", {}, as_("lanhdao.d01"))
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "RUN_CONCLUDED")

    # The results reach Cluster No. 2's people and the leaders, never Cluster No. 1's people.
    for person in (*SECOND_PEOPLE, "thien.nh", "trung.th"):
        eventually(lambda: notices(platform, person, "results.published"), 30, what=f"{person}'s results")
    assert [p for p in FIRST_PEOPLE if notices(platform, p, "results.published")] == []

    # Deadline notices: Cluster No. 1's missing units hear of it; nobody of Cluster No. 2 does for this quarter.
    due = run_reminders(platform)   # what the once-a-minute timer has not sent yet
    assert not [key for key in due if PERIOD in key and ("|D0" in key or "CUM-02" in key)]
    eventually(lambda: notices(platform, "hanh.ptv", "deadline.missed"), 30, what="the lead's list of the missing")
    eventually(lambda: notices(platform, "canbo.u03", "deadline.missed"), 30, what="U03's missed deadline")
    assert [p for p in SECOND_PEOPLE if notices(platform, p, "deadline.missed")] == []
