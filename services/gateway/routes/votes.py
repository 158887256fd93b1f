"""The vote of a cluster for a period: its state, opening and closing it, ballots."""
from services.gateway.api import API, call, idempotency_key
from services.gateway.entrypoint import route

VOTE = f"{API}/clusters/<string:cluster>/periods/<string:period>/vote"


class Votes:

    @route("GET", VOTE)
    def vote_status(self, request, cluster, period):
        return call(self.submissions.vote_status, cluster, period)

    @route("POST", f"{VOTE}/open", caller=True)
    def open_vote(self, request, cluster, period):
        return call(self.submissions.open_vote, cluster, period)

    @route("POST", f"{VOTE}/close", caller=True)
    def close_vote(self, request, cluster, period):
        return call(self.submissions.close_vote, cluster, period)

    @route("POST", f"{VOTE}/ballots", body="Ballot", status=201, caller=True)
    def cast_ballot(self, request, cluster, period, body):
        return call(self.submissions.cast_ballot, cluster, period, body, idempotency_key(request))
