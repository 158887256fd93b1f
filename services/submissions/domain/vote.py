"""A cluster's classification vote for a period (bỏ phiếu xếp loại): opened by the cluster's
lead or deputy while the period is VOTING, one secret ballot per member unit, closed with
its tally. Pure: no I/O.

Who voted is kept on the session, what was chosen in a ballot record that names neither
its voter nor its time (:mod:`services.submissions.voting` checks and counts ballots).
"""
from services.submissions import voting
from services.submissions.domain import access
from services.submissions.domain.aggregate import Event
from thidua.criteria import level_codes
from thidua.errors import AlreadyVoted, Conflict, PeriodNotOpen, VotingClosed

DEFAULT_RULES = {"threshold": 0.5, "quorum": 0.5}


class VoteSession:
    def __init__(self, document, cluster):
        self.document = document
        self.cluster = cluster   # the cluster's document: its name goes into every event

    @classmethod
    def none(cls, cluster, period_code):
        """No vote yet: every command on it is refused (who may act is still checked first)."""
        return cls({"_id": None, "period": period_code, "state": None}, cluster)

    @classmethod
    def open(cls, cluster, period, template, existing, caller, now, session_id):
        access.require_cluster_lead(caller, cluster, "open its vote")
        if period["state"] != "VOTING":
            raise PeriodNotOpen(f"Period {period['_id']} is {period['state']}; votes open while it is VOTING.")
        if existing is not None:
            raise Conflict(f"{cluster['_id']} already has a vote for {period['_id']}.")
        members = sorted(m["unit"] for m in cluster["members"])
        vote = cls({"_id": session_id, "cluster": cluster["_id"], "period": period["_id"], "state": "OPEN",
                    "members": members, "voted": [], "rules": template.get("voting", DEFAULT_RULES),
                    "levels": level_codes(template), "opened_at": now, "opened_by": caller.id, "tally": None,
                    "version": 1}, cluster)
        return vote, vote._event("vote.opened.v1", members=members)

    def _require_open(self):
        if self.document["state"] != "OPEN":
            raise VotingClosed(f"There is no open vote of {self.cluster['_id']} for {self.document['period']}.")

    def cast(self, ballot, caller, ballot_id):
        """The session with the caller's unit counted as voted, the ballot to store, and the event."""
        access.require_voter(caller, self.cluster)
        self._require_open()
        clean = voting.validate_ballot(ballot, set(self.document["members"]), self.document["levels"])
        if caller.unit in self.document["voted"]:
            raise AlreadyVoted(f"Unit {caller.unit} has already voted.")
        voted = sorted([*self.document["voted"], caller.unit])  # sorted: the order says nothing of who came when
        after = VoteSession(self._bumped(voted=voted), self.cluster)
        # Nothing in the ballot points back at its unit: a random id, no time, no voter.
        record = {"_id": ballot_id, "session": self.document["_id"], **clean}
        return after, record, after._event("vote.ballot_cast.v1", voter_unit=caller.unit, ballots_cast=len(voted))

    def close(self, ballots, caller, now):
        access.require_cluster_lead(caller, self.cluster, "close its vote")
        self._require_open()
        after = VoteSession(self._bumped(state="CLOSED", closed_at=now, closed_by=caller.id,
                                         tally=voting.tally(ballots, len(self.document["members"]))), self.cluster)
        return after, after._event("vote.closed.v1", tally=after.document["tally"], rules=self.document["rules"])

    def view(self):
        """The session as anyone may see it: who voted, and the tally only once it is closed."""
        view = dict(self.document)
        if view["state"] != "CLOSED":
            view["tally"] = None
        view["ballots_cast"] = len(view["voted"])
        return view

    def _bumped(self, **changes):
        # Sessions opened before they carried a version count from 0.
        return {**self.document, **changes, "version": self.document.get("version", 0) + 1}

    def _event(self, event_type, **data):
        return Event(event_type, {"cluster": self.cluster["_id"], "cluster_name": self.cluster["name"],
                                  "period": self.document["period"], "session_id": self.document["_id"], **data})
