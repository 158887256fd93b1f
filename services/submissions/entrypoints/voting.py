"""A cluster's classification vote: opened and closed by its lead or deputy, one secret
ballot per member unit (``domain/vote.py``, docs/security.md, "Secret ballots").

A unit's people take its ballot token (``take_ballot``, as themselves: this records that the
unit voted); the ballot is cast with the token alone (``cast_ballot``, no caller), sealed by the
gateway, and rests sealed in the ballot box, which only ``close_vote`` opens, counts and empties.
"""
import random
import uuid

from services.submissions import store
from services.submissions.domain.vote import VoteSession
from services.submissions.entrypoints.common import LOST_RACE
from thidua.errors import Forbidden, StaleVersion, VotingClosed
from thidua.events import utcnow
from thidua.mongo import public
from thidua.rpc import rpc
from thidua.uow import UnitOfWork

BOXES = "ballot_boxes"
CONCURRENT = (*LOST_RACE, StaleVersion)   # another ballot at the same moment: count again


class Voting:
    @rpc
    def open_vote(self, cluster_code, period_code):
        caller, cluster = self.caller.require(), self._get("clusters", cluster_code)

        def work(tx):
            run = self._run(cluster_code, period_code, tx)
            template = store.template(self.db, run["template"]["id"], run["template"]["version"], tx.session)
            existing = tx.find_one("vote_sessions", {"cluster": cluster_code, "period": period_code})
            vote, event = VoteSession.open(cluster, run, template, existing, caller, utcnow(), str(uuid.uuid4()))
            self._save(tx, "vote_sessions", None, vote.document, "vote.open", "vote", {"period": period_code},
                       [event])
            return public(vote.view())
        return self.uow.run(work, retry_on=LOST_RACE)

    @rpc
    def take_ballot(self, cluster_code, period_code):
        """The caller's unit's one-time ballot token; the unit now counts as voted (the same token
        again while it is unused, ALREADY_VOTED once it is)."""
        caller, key = self.caller.require(), self._ballots().key()
        return self.uow.run(lambda tx: self._take(tx, cluster_code, period_code, caller, key), retry_on=CONCURRENT)

    def _take(self, tx, cluster_code, period_code, caller, key):
        vote = self._vote(cluster_code, period_code, tx)
        after, token, event = vote.take(caller, tx.find_one(BOXES, {"_id": vote.document["_id"]}), key)
        if after is not None:
            tx.replace("vote_sessions", vote.document, after.document)
            tx.record("vote.ballot_taken", "vote", vote.document["_id"], None, None,
                      {"period": period_code, "unit": caller.unit}, [self._envelope(event)])
        return {"cluster": cluster_code, "period": period_code, "token": token,
                "ballots_cast": len((after or vote).document["voted"])}

    @rpc
    def cast_ballot(self, cluster_code, period_code, token, sealed_ballot):
        """A ballot, sealed by the gateway for ``token``, into the ballot box. It carries no person:
        a call with a caller is refused, and the audit entry names neither actor nor request."""
        if self.caller.signed_in:
            raise Forbidden("A ballot is cast with its token alone: send it without a caller.")
        key = self._ballots().key()
        # No actor and no correlation id: nothing in the audit ties this entry to a request of a person.
        return UnitOfWork(self.db, None, None).run(
            lambda tx: self._cast(tx, cluster_code, period_code, token, sealed_ballot, key), retry_on=CONCURRENT)

    def _cast(self, tx, cluster_code, period_code, token, sealed_ballot, key):
        vote = self._vote(cluster_code, period_code, tx)
        box = tx.find_one(BOXES, {"_id": vote.document["_id"]})
        after = vote.cast(box, token, sealed_ballot, key, random.SystemRandom())
        if box is None:
            tx.insert(BOXES, after)
        else:
            tx.replace(BOXES, box, after)
        tx.record("vote.ballot_received", "vote", vote.document["_id"], None, None, {"period": period_code})
        return {"cluster": cluster_code, "period": period_code, "cast": True}

    @rpc
    def close_vote(self, cluster_code, period_code):
        caller, ballots = self.caller.require(), self._ballots()
        return self.uow.run(lambda tx: self._close(tx, cluster_code, period_code, caller, ballots))

    def _close(self, tx, cluster_code, period_code, caller, ballots):
        vote = self._vote(cluster_code, period_code, tx)
        box = tx.find_one(BOXES, {"_id": vote.document["_id"]})
        run = self._run(cluster_code, period_code, tx)
        after, event = vote.close(run, box, caller, utcnow(), ballots.key(), ballots.minimum)
        self._save(tx, "vote_sessions", vote.document, after.document, "vote.close", "vote",
                   {"period": period_code}, [event])
        if box is not None:
            tx.delete(BOXES, box)   # counted: the single ballots are gone, only the tally stays
        return public(after.view())

    def _ballots(self):
        return self.settings.ballots

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
