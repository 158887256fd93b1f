"""A cluster's classification vote: opened and closed by its lead or deputy, one secret
ballot per member unit (``domain/vote.py``)."""
import random
import uuid

from services.submissions import store
from services.submissions.domain.vote import VoteSession
from services.submissions.entrypoints.common import LOST_RACE
from thidua.errors import StaleVersion, VotingClosed
from thidua.events import utcnow
from thidua.mongo import public
from thidua.rpc import rpc


def _ballot_id():
    # Random, not time-ordered: a ballot's id says nothing of when, or by whom, it was cast.
    return uuid.UUID(int=random.SystemRandom().getrandbits(128)).hex


class Voting:
    @rpc
    def open_vote(self, cluster_code, period_code):
        caller = self.caller.require()
        cluster, period = self._get("clusters", cluster_code), self._get("periods", period_code)

        def work(tx):
            template = store.template(self.db, period["template"]["id"], period["template"]["version"], tx.session)
            existing = tx.find_one("vote_sessions", {"cluster": cluster_code, "period": period_code})
            vote, event = VoteSession.open(cluster, period, template, existing, caller, utcnow(), str(uuid.uuid4()))
            self._save(tx, "vote_sessions", None, vote.document, "vote.open", "vote", {"period": period_code},
                       [event])
            return public(vote.view())
        return self.uow.run(work, retry_on=LOST_RACE)

    @rpc
    def cast_ballot(self, cluster_code, period_code, ballot, idempotency_key=None):
        """One secret ballot per member unit: who voted is recorded, apart from what was chosen."""
        caller = self.caller.require()
        return self.uow.run(lambda tx: self._cast(tx, cluster_code, period_code, ballot, caller),
                            idempotency_key=idempotency_key, request={"ballot": [cluster_code, period_code]},
                            retry_on=(*LOST_RACE, StaleVersion))   # another ballot at the same moment: count again

    def _cast(self, tx, cluster_code, period_code, ballot, caller):
        vote = self._vote(cluster_code, period_code, tx)
        after, record, event = vote.cast(ballot, caller, _ballot_id())
        tx.replace("vote_sessions", vote.document, after.document)
        tx.insert("ballots", record)
        # The audit names the voting unit but fingerprints nothing: no trace of the choice.
        tx.record("vote.ballot_cast", "vote", vote.document["_id"], None, None,
                  {"period": period_code, "unit": caller.unit}, [self._envelope(event)])
        return {"cluster": cluster_code, "period": period_code, "voted": True,
                "ballots_cast": len(after.document["voted"])}

    @rpc
    def close_vote(self, cluster_code, period_code):
        caller = self.caller.require()

        def work(tx):
            vote = self._vote(cluster_code, period_code, tx)
            ballots = list(self.db.ballots.find({"session": vote.document["_id"]}, session=tx.session))
            after, event = vote.close(ballots, caller, utcnow())
            self._save(tx, "vote_sessions", vote.document, after.document, "vote.close", "vote",
                       {"period": period_code}, [event])
            return public(after.view())
        return self.uow.run(work)

    def _vote(self, cluster_code, period_code, tx):
        cluster = self._get("clusters", cluster_code, tx)
        found = tx.find_one("vote_sessions", {"cluster": cluster_code, "period": period_code})
        return VoteSession(found, cluster) if found else VoteSession.none(cluster, period_code)

    @rpc
    def vote_status(self, cluster_code, period_code):
        vote = self.db.vote_sessions.find_one({"cluster": cluster_code, "period": period_code})
        if vote is None:
            raise VotingClosed(f"{cluster_code} has no vote for {period_code}.")
        return public(VoteSession(vote, None).view())
