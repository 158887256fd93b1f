"""Load the demo: the seed's Cluster No. 1 with its template, units and people; Q1/2021
played through as the meeting of 19 May 2021 did (reports handed in, reviewed, voted,
concluded by its chair, the Deputy Director, with his conclusion; proposals for commendation
drafted, submitted and decided); Q2/2021 open for new reports.
A second, illustrative cluster (Cluster No. 2, district police) shares both quarters and runs
them on its own: its Q1 stays open, its Q2 planned.

    python -m scripts.demo       # uses AMQP_URI and SERVICE_SECRET; idempotent (a second run changes nothing)

Everything goes through the submissions service's RPC API as the person who would do
it in real life (their id in the call's context data, which demo mode honours), so the demo
also fills the audit trail and emits every event. The reference data and the passwords are
loaded as ``system:demo-loader``, with a service token signed with ``SERVICE_SECRET``.
"""
import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

from thidua import seal
from thidua.caller import as_system
from thidua.settings import Ballots

DATA = Path(__file__).resolve().parent / "demo_data.json"
LOADER = "demo-loader"
OFFICE, LEAD = {"id": "trung.th"}, {"id": "hanh.ptv"}
CLUSTER, SECOND_CLUSTER, Q1, Q2 = "CUM-01", "CUM-02", "2021-Q1", "2021-Q2"
DEMO_PASSWORD = "thidua-demo"   # every demo account's; such accounts sign in only in demo mode


def data():
    return json.loads(DATA.read_text(encoding="utf-8"))


def officer(unit):
    return {"id": f"canbo.{unit.lower()}"}


def reference(content):
    return {key: content[key] for key in ("templates", "units", "clusters", "periods", "people")}


def reports(content):
    """The Q1 reports, each with the unit's self-assessed score per criterion (tự chấm): here
    the points its own values earn under the template, as a careful unit would work out."""
    from services.ranking import engine
    found = {unit: report for unit, report in content["q1_reports"].items() if unit != "_about"}
    template = {**content["templates"][0], "version": 1}
    result = engine.compute(template, [{"unit": unit, "unit_name": unit, "submitted_at": "2021-04-05T00:00:00Z",
                                        "late": False, "version": 1, **report} for unit, report in found.items()])
    for row in result["table"]:
        found[row["unit"]]["self_scores"] = {line["criterion"]: line["computed"] for line in row["breakdown"]
                                             if line["criterion"] in found[row["unit"]]["values"]}
    return found


def ballots(content):
    return {unit: ballot for unit, ballot in content["q1_votes"].items() if unit != "_about"}


class Submissions:
    """The submissions service over RPC; ``as_(caller)`` calls it as that person (one proxy
    per caller, since a proxy carries its context data on every call)."""

    def __init__(self, config, stack, caller=None, proxies=None):
        self.config, self.stack, self.caller = config, stack, caller
        self.proxies = {} if proxies is None else proxies

    def as_(self, caller):
        return Submissions(self.config, self.stack, caller, self.proxies)

    def __getattr__(self, method):
        key = json.dumps(self.caller, sort_keys=True)
        if key not in self.proxies:
            context = {"caller": self.caller} if self.caller else None
            self.proxies[key] = self.stack.enter_context(
                ClusterRpcProxy(self.config, timeout=60, context_data=context)).submissions
        return getattr(self.proxies[key], method)


def vote(submissions, person, cluster, period, ballot, ballot_key=None):
    """``person`` takes their unit's ballot token, then the ballot goes with the token alone,
    sealed as the gateway seals it (``BALLOT_SEAL_KEY``, from the environment unless given)."""
    token = submissions.as_(person).take_ballot(cluster, period)["token"]
    key = ballot_key or Ballots.of({}).key()
    sealed = seal.seal_ballot(key, cluster, period, token, ballot)
    return submissions.as_(None).cast_ballot(cluster, period, token, sealed)


def run_of(submissions, cluster, period):
    return submissions.as_(OFFICE).get_run(cluster, period)


def move(submissions, cluster, period, action, person=OFFICE, **arguments):
    """Move ``cluster``'s run of ``period`` by ``action``, from the version it is at."""
    version = run_of(submissions, cluster, period)["version"]
    return submissions.as_(person).transition_run(cluster, period, action, {"version": version, **arguments})


def play_q1(submissions, content, ballot_key=None):
    """Q1/2021 of Cluster No. 1 from opening to the chair's conclusion, unless it has already been
    played; Cluster No. 2 opens the same quarter on its own and stays open, one report handed in."""
    if run_of(submissions, CLUSTER, Q1)["state"] != "PLANNED":
        return False
    conclusion = content["q1_conclusion"]
    submissions.as_(OFFICE).set_run(CLUSTER, Q1, {"version": run_of(submissions, CLUSTER, Q1)["version"],
                                                  "chair": conclusion["chair"]})
    move(submissions, CLUSTER, Q1, "open")
    for unit, report in reports(content).items():
        submissions.as_(officer(unit)).submit_report({"unit": unit, "period": Q1, **report}, f"demo-{Q1}-{unit}")
    move(submissions, CLUSTER, Q1, "close")
    move(submissions, CLUSTER, Q1, "start_scoring")
    for report in submissions.as_(LEAD).list_reports(CLUSTER, Q1)["items"]:
        submissions.as_(LEAD).act_on_report(report["id"], "review", {"version": report["version"]})
    move(submissions, CLUSTER, Q1, "start_voting")
    submissions.as_(LEAD).open_vote(CLUSTER, Q1)
    for unit, ballot in ballots(content).items():
        vote(submissions, officer(unit), CLUSTER, Q1, ballot, ballot_key)
    submissions.as_(LEAD).close_vote(CLUSTER, Q1)
    move(submissions, CLUSTER, Q1, "conclude", {"id": conclusion["chair"]}, conclusion=conclusion["text"])
    play_second_cluster(submissions, reports(content)["U03"])
    return True


def record_q1(submissions):
    """The Q1/2021 meeting's proposals for commendation, unless already made: drafted from the
    result, one edited, an individual added, all submitted, then decided by the standing office
    (all approved but one). Illustrative, as the article does not list the proposals."""
    lead, office = submissions.as_(LEAD), submissions.as_(OFFICE)
    listed = lead.list_proposals(CLUSTER, Q1)["items"]
    if any(p["state"] != "DRAFT" for p in listed):
        return False
    # The conclusion drafted them (a demo loaded before that drafts them here).
    drafts = [p for p in listed if p["origin"] == "rule"] or lead.redraft_proposals(CLUSTER, Q1)["items"]
    first = drafts[0]
    lead.edit_proposal(first["id"], {"version": first["version"], "reason": first["reason"] + "; 6/6 phiếu bầu"})
    lead.add_proposal(CLUSTER, Q1, {"kind": "individual", "unit": "U01", "recipient": "Phạm Thị Vân Hạnh (minh hoạ)",
                                    "form": "CHIEN_SI_THI_DUA_CO_SO", "level": "DIRECTOR",
                                    "reason": "Hoàn thành xuất sắc nhiệm vụ cụm trưởng (minh hoạ)"})
    submitted = lead.submit_proposals(CLUSTER, Q1)["items"]
    for index, proposal in enumerate(submitted):
        rejected = index == len(submitted) - 1
        office.decide_proposal(proposal["id"], not rejected, {
            "version": proposal["version"], "reason": "Chưa đủ thời gian công tác để xét (minh hoạ)" if rejected else None})
    return True


def play_second_cluster(submissions, report):
    """Cluster No. 2 runs Q1/2021 on its own: open, with one unit's report in (the same figures as
    a unit of Cluster No. 1, the template being the same)."""
    if run_of(submissions, SECOND_CLUSTER, Q1)["state"] == "PLANNED":
        move(submissions, SECOND_CLUSTER, Q1, "open")
        submissions.as_(officer("D01")).submit_report({"unit": "D01", "period": Q1, **report}, f"demo-{Q1}-D01")


def open_q2(submissions):
    """Q2/2021 opens for Cluster No. 1 only; Cluster No. 2's stays PLANNED."""
    if run_of(submissions, CLUSTER, Q2)["state"] == "PLANNED":
        move(submissions, CLUSTER, Q2, "open")
        return True
    return False


def load(amqp_uri=None, ballot_key=None, service_secret=None, play=True):
    """``service_secret``: the platform's ``SERVICE_SECRET`` (default: the environment's).
    ``play``: also play Q1/2021 through and open Q2, acting as the demo's people, which only a
    platform in demo mode accepts; without it, only the reference data is loaded."""
    config = {"AMQP_URI": amqp_uri or os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")}
    content = data()
    with ExitStack() as stack:
        submissions = Submissions(config, stack)
        loader = submissions.as_(as_system(LOADER, {"SERVICE_SECRET": service_secret} if service_secret else None))
        counts = loader.load_reference_data(reference(content))
        for person in content["people"]:
            loader.set_password(person["id"], DEMO_PASSWORD)
        if play:
            counts["q1_played"] = play_q1(submissions, content, ballot_key)
            counts["q1_proposals"] = record_q1(submissions)
            counts["q2_opened"] = open_q2(submissions)
        return counts


if __name__ == "__main__":
    # --reference-only: a platform outside demo mode (docker compose) takes the seed's cluster,
    # units, people, template and periods, but no one acts as the demo's people there.
    print(load(play="--reference-only" not in sys.argv[1:]))
    sys.exit(0)
