"""The vote of a cluster for a period: its state, opening and closing it, ballots.

A ballot takes two requests: ``POST .../vote/token`` as a signed-in member unit's person (the
unit now counts as voted) answers the unit's one-time token; ``POST .../vote/ballots`` with that
token and the choices. The gateway seals the choices for the token before they cross the bus and
sends them with no caller, so no message on the bus holds both a person and a ballot."""
from services.gateway.api import API, call
from services.gateway.entrypoint import route
from thidua import seal

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

    @route("POST", f"{VOTE}/token", status=201, caller=True)
    def take_ballot(self, request, cluster, period):
        return call(self.submissions.take_ballot, cluster, period)

    @route("POST", f"{VOTE}/ballots", body="Ballot", status=201, public=True)   # its token is its credential
    def cast_ballot(self, request, cluster, period, body):
        token = body.pop("token")
        sealed = seal.seal_ballot(self.settings.ballots.key(), cluster, period, token, body)
        return call(self.submissions.cast_ballot, cluster, period, token, sealed)
