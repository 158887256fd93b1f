"""The meeting's record of a cluster's run: the vote count, the proposals for commendation and
their workflow, and the minutes as a Word file."""
from services.gateway import minutes
from services.gateway.api import API, attachment, call
from services.gateway.entrypoint import Choice, Query, forward, route
from thidua.errors import NotFound, RankingNotFound

RUN = f"{API}/clusters/<string:cluster>/periods/<string:period>"
PROPOSALS = f"{RUN}/proposals"
PROPOSAL = f"{API}/proposals/<string:proposal_id>"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STATES = ("DRAFT", "SUBMITTED", "APPROVED", "REJECTED")


def gather(service, cluster, period, place=None):
    """The ``meeting`` the minutes are built from, from the submissions and ranking services."""
    record = call(service.submissions.meeting_record, cluster, period)
    ranking = _ranking(service, cluster, period)
    template = ranking and call(service.submissions.get_template, ranking["template"]["id"],
                                ranking["template"]["version"])
    people, run = record["people"], record["run"]
    chair = next((p for p in people if p["id"] == run.get("chair")), None) or next(
        (p for p in people if p["role"] == "provincial_leader"), None)
    count, conclusion = record["vote_count"], run.get("conclusion")
    lead = next((u for u in record["units"] if u["role"] == "lead"), None)
    return {"cluster": record["cluster"], "period_label": run["label"], "units": record["units"],
            "date": (conclusion or {}).get("at") or (count or {}).get("closed_at"),
            "place": place or (lead and f"Trụ sở {lead['name']} (đơn vị cụm trưởng)"), "chair": chair,
            "secretary": None, "people": people, "summary": record["summary"], "ranking": ranking,
            "levels": (template or {}).get("classification", {}).get("levels"), "vote_count": count,
            "proposals": record["proposals"], "conclusion": conclusion}


def _ranking(service, cluster, period):
    try:
        return call(service.ranking.get_ranking, cluster, period, None)
    except RankingNotFound:   # no report handed in yet: the minutes say so
        return None


class Meeting:

    vote_count = forward("GET", f"{RUN}/vote/count", "submissions.vote_count",
                         "The vote count record (biên bản kiểm phiếu) of the closed vote: counts, never a ballot's "
                         "unit.")
    list_proposals = forward("GET", PROPOSALS, "submissions.list_proposals",
                             "The run's proposals for commendation with their roll-up per form and level.")
    add_proposal = forward("POST", PROPOSALS, "submissions.add_proposal",
                           "Add a proposal (lead, deputy or chair; the run CONCLUDED).", body="Proposal", status=201)
    redraft_proposals = forward("POST", f"{PROPOSALS}/draft", "submissions.redraft_proposals",
                                "Draft the proposals from the result again, before any is submitted.")
    submit_proposals = forward("POST", f"{PROPOSALS}/submit", "submissions.submit_proposals",
                               "Submit every DRAFT proposal to the standing office.")
    edit_proposal = forward("PUT", PROPOSAL, "submissions.edit_proposal",
                            "Change a DRAFT proposal (send its current version).", body="ProposalEdit")

    @route("GET", f"{API}/proposals", query={"state": Choice(STATES, "SUBMITTED")})
    def proposals_by_state(self, request, query):
        """Every cluster's proposals in a state (the standing office's list: ?state=SUBMITTED)."""
        return {"items": call(self.submissions.proposals_by_state, query["state"])}

    @route("POST", f"{PROPOSAL}/<string:decision>", body="ProposalDecision")
    def decide_proposal(self, request, proposal_id, decision, body):
        """The standing office approves or rejects a SUBMITTED proposal (``approve`` | ``reject``), with a reason."""
        if decision not in ("approve", "reject"):
            raise NotFound(f"No decision {decision!r} on a proposal: use .../approve or .../reject.")
        return call(self.submissions.decide_proposal, proposal_id, decision == "approve", body)

    @route("GET", f"{RUN}/minutes.docx", query={"place": Query()}, download=True)
    def minutes(self, request, cluster, period, query):
        """The minutes of the run's meeting (biên bản họp) as a Word file."""
        data = minutes.minutes_document(gather(self, cluster, period, query["place"]))
        return attachment(data, DOCX, f"bien-ban-hop-{cluster}-{period}.docx")

