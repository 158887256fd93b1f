"""A cluster's classification vote for a period (bỏ phiếu xếp loại): opened by the cluster's
lead or deputy while the cluster's run of the period is VOTING, one secret ballot per member unit, closed with
its tally. Pure: no I/O.

Who voted is kept on the session when a unit takes its ballot token; what was chosen arrives
later with the token and no person, and rests sealed in the session's ballot box, in no order,
with no time, until the close opens, counts and empties it (:mod:`services.submissions.voting`).
"""
import json

from services.submissions import voting
from services.submissions.domain import access
from services.submissions.domain.aggregate import Event
from services.submissions.domain.report import require_not_concluded
from thidua import seal
from thidua.criteria import level_codes
from thidua.errors import AlreadyVoted, Conflict, Forbidden, PeriodNotOpen, VotingClosed

DEFAULT_RULES = {"threshold": 0.5, "quorum": 0.5}


def require_voting(run):
    """A vote opens and closes only while the cluster's run is VOTING (never after its conclusion)."""
    require_not_concluded(run)
    if run["state"] != "VOTING":
        raise PeriodNotOpen(f"{run['cluster']}'s {run['period']} is {run['state']}; its vote opens and closes "
                            "while it is VOTING.")


class VoteSession:
    def __init__(self, document, cluster):
        self.document = document
        self.cluster = cluster   # the cluster's document: its name goes into every event

    @classmethod
    def none(cls, cluster, period_code):
        """No vote yet: every command on it is refused (who may act is still checked first)."""
        return cls({"_id": None, "period": period_code, "state": None}, cluster)

    @classmethod
    def open(cls, cluster, run, template, existing, caller, now, session_id):
        """The cluster's vote on its run of a period (``domain/period.py``), while the run is VOTING."""
        access.require_cluster_lead(caller, cluster, "open its vote")
        require_voting(run)
        if existing is not None:
            raise Conflict(f"{cluster['_id']} already has a vote for {run['period']}.")
        members = sorted(m["unit"] for m in cluster["members"])
        vote = cls({"_id": session_id, "cluster": cluster["_id"], "period": run["period"], "state": "OPEN",
                    "members": members, "voted": [], "rules": template.get("voting", DEFAULT_RULES),
                    "levels": level_codes(template), "opened_at": now, "opened_by": caller.id, "tally": None,
                    "version": 1}, cluster)
        return vote, vote._event("vote.opened.v1", members=members)

    def _require_open(self):
        if self.document["state"] != "OPEN":
            raise VotingClosed(f"There is no open vote of {self.cluster['_id']} for {self.document['period']}.")

    def take(self, caller, box, key):
        """The caller's unit takes its one ballot token: ``(after, token, event)``; ``after`` and
        ``event`` are ``None`` when it had taken it before and not used it (nothing to write)."""
        access.require_voter(caller, self.cluster)
        self._require_open()
        token = voting.ballot_token(key, self.document["_id"], caller.unit)
        if caller.unit in self.document["voted"]:
            if voting.spent_mark(key, self.document["_id"], token) in BallotBox(box, self.document["_id"]).spent:
                raise AlreadyVoted(f"Unit {caller.unit} has already voted.")
            return None, token, None
        voted = sorted([*self.document["voted"], caller.unit])  # sorted: the order says nothing of who came when
        after = VoteSession(self._bumped(voted=voted), self.cluster)
        return after, token, after._event("vote.ballot_cast.v1", voter_unit=caller.unit, ballots_cast=len(voted))

    def cast(self, box, token, sealed, key, rng):
        """The ballot box with one more ballot, given a token of this vote not used before and the
        ballot sealed for that token; no person is involved. ``rng``: ``random.SystemRandom()``."""
        self._require_open()
        box = BallotBox(box, self.document["_id"])
        mark = voting.spent_mark(key, self.document["_id"], token)
        if mark in box.spent:
            raise AlreadyVoted("This ballot token has already been used: each unit casts one ballot.")
        try:
            ballot = json.loads(seal.unseal(key, sealed, seal.ballot_in_transit(self.cluster["_id"],
                                                                          self.document["period"], token)))
        except (seal.Unsealable, ValueError):
            raise Forbidden("This ballot was not sealed for this token by the platform.") from None
        clean = voting.validate_ballot(ballot, set(self.document["members"]), self.document["levels"])
        return box.with_ballot(clean, mark, key, rng)

    def close(self, run, box, caller, now, key, minimum):
        access.require_cluster_lead(caller, self.cluster, "close its vote")
        require_voting(run)
        self._require_open()
        ballots = BallotBox(box, self.document["_id"]).opened(key)
        tally = voting.tally(ballots, len(self.document["members"]), minimum)
        after = VoteSession(self._bumped(state="CLOSED", closed_at=now, closed_by=caller.id, tally=tally),
                            self.cluster)
        return after, after._event("vote.closed.v1", tally=tally, rules=self.document["rules"])

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


class BallotBox:
    """The sealed ballots of one vote and the marks of the tokens used, nothing else: no voter,
    no time, no order (each ballot goes in at a random place; the marks are kept sorted)."""

    def __init__(self, document, session_id):
        self.document = document or {"_id": session_id, "sealed": [], "spent": [], "version": 0}

    @property
    def spent(self):
        return self.document["spent"]

    def with_ballot(self, clean, mark, key, rng):
        sealed = list(self.document["sealed"])
        plain = json.dumps(clean, sort_keys=True).encode()
        sealed.insert(rng.randrange(len(sealed) + 1),
                      seal.seal(key, plain, seal.ballot_in_box(self.document["_id"]), rng.randbytes(seal.NONCE)))
        return {**self.document, "sealed": sealed, "spent": sorted([*self.spent, mark]),
                "version": self.document["version"] + 1}

    def opened(self, key):
        """The ballots, opened for counting (never written down opened)."""
        try:
            return [json.loads(seal.unseal(key, s, seal.ballot_in_box(self.document["_id"])))
                    for s in self.document["sealed"]]
        except seal.Unsealable:
            raise Conflict("The ballot box was sealed with another BALLOT_SEAL_KEY; "
                           "restore the key the vote was opened with, then close it.") from None
