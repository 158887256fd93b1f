"""The meeting's record: the vote count (biên bản kiểm phiếu) and the proposals for commendation
(đề nghị khen thưởng) of a cluster's run (``domain/vote_count.py``, ``domain/proposal.py``).

Proposals are drafted on conclusion: the conclude transaction calls :meth:`Proposals.draft_proposals`
with its own ``tx``; ``redraft_proposals`` drafts again while the run is CONCLUDED and nothing has
been submitted. Every change goes through the unit of work: the proposal, its audit entry and its
event together.
"""
import uuid

from services.submissions import store
from services.submissions.domain import access, proposal as rules
from services.submissions.domain.proposal import Proposal
from services.submissions.domain.vote_count import vote_count
from thidua.errors import InvalidTransition, UnknownProposal, ValidationFailed
from thidua.events import utcnow
from thidua.mongo import public
from thidua.rpc import rpc

PROPOSALS = "proposals"


def _new_id():
    return str(uuid.uuid4())


class Proposals:
    @rpc
    def vote_count(self, cluster_code, period_code):
        """The vote count record of the cluster's closed vote: counts only, never a ballot's unit."""
        self.caller.require()
        self._get("clusters", cluster_code)
        session = self.db.vote_sessions.find_one({"cluster": cluster_code, "period": period_code})
        return public(vote_count(session, self._unit_names()))

    @rpc
    def list_proposals(self, cluster_code, period_code):
        """The run's proposals, oldest first, with their roll-up per form and level."""
        self.caller.require()
        self._get("clusters", cluster_code)
        found = list(self.db[PROPOSALS].find({"cluster": cluster_code, "period": period_code}).sort("created_at"))
        return {"cluster": cluster_code, "period": period_code, "items": [public(p) for p in found],
                "rollup": rules.rollup(found)}

    @rpc
    def proposals_by_state(self, state):
        """Every cluster's proposals in ``state`` (the standing office's list: SUBMITTED)."""
        self.caller.require()
        if state not in rules.STATES:
            raise ValidationFailed(f"state is one of {', '.join(rules.STATES)}.", {"fields": {"state": "unknown"}})
        return [public(p) for p in self.db[PROPOSALS].find({"state": state}).sort([("cluster", 1), ("created_at", 1)])]

    @rpc
    def redraft_proposals(self, cluster_code, period_code):
        """Draw the proposals from the result again (the rule-drafted ones; those added by hand stay)."""
        caller = self.caller.require()

        def work(tx):
            run, _ = self._as_proposer(tx, caller, cluster_code, period_code)
            rules.require_redraftable(run, self._proposals_of(tx, cluster_code, period_code))
            return [public(p) for p in self.draft_on_conclusion(tx, cluster_code, period_code)]
        return {"items": self.uow.run(work)}

    def draft_on_conclusion(self, tx, cluster_code, period_code):
        """In the conclude transaction ``tx`` (or a redraft): the rule-drafted proposals anew, those
        added by hand kept; nothing once a proposal of the run has been submitted (a run concluded
        again after a reopen keeps what went to the standing office)."""
        existing = self._proposals_of(tx, cluster_code, period_code)
        if any(p["state"] != "DRAFT" for p in existing):
            return []
        self._discard(tx, [p for p in existing if p["origin"] == "rule"])
        return self.draft_proposals(tx, cluster_code, period_code)

    def _proposals_of(self, tx, cluster_code, period_code):
        return list(self.db[PROPOSALS].find({"cluster": cluster_code, "period": period_code}, session=tx.session))

    def draft_proposals(self, tx, cluster_code, period_code):
        """Draft the run's proposals from its result, inside the caller's transaction ``tx`` (the
        conclude's): each saved with its audit entry and its ``proposal.drafted.v1``."""
        run, names = self._run(cluster_code, period_code, tx), self._unit_names(tx)
        template = store.template(self.db, run["template"]["id"], run["template"]["version"], tx.session)
        reports = list(self.db.reports.find({"cluster": cluster_code, "period": period_code}, session=tx.session))
        vote = tx.find_one("vote_sessions", {"cluster": cluster_code, "period": period_code, "state": "CLOSED"})
        result = rules.meeting_result(template, reports, vote and vote["tally"], names)
        classes = {level["code"]: level["name"] for level in template.get("classification", {}).get("levels", [])}
        drafts = rules.draft(result, template.get("proposal_rules"), run, names, utcnow(), _new_id, classes)
        for document in drafts:
            self._save(tx, PROPOSALS, None, document, "proposal.draft", "proposal",
                       {"period": period_code, "cluster": cluster_code},
                       [Proposal(document).event("proposal.drafted.v1")])
        return drafts

    @rpc
    def add_proposal(self, cluster_code, period_code, payload):
        caller = self.caller.require()

        def work(tx):
            run, cluster = self._as_proposer(tx, caller, cluster_code, period_code)
            fields = rules.clean_fields(payload, {m["unit"] for m in cluster["members"]})
            proposal, event = Proposal.add(fields, run, caller, utcnow(), _new_id())
            return public(self._save(tx, PROPOSALS, None, proposal.document, "proposal.add", "proposal",
                                     {"period": period_code, "cluster": cluster_code}, [event]))
        return self.uow.run(work)

    @rpc
    def edit_proposal(self, proposal_id, payload):
        caller = self.caller.require()

        def work(tx):
            before, cluster, run = self._proposal(tx, proposal_id)
            rules.require_proposer(caller, cluster, run)
            fields = rules.clean_fields(payload, {m["unit"] for m in cluster["members"]}, partial=True)
            after, event = Proposal(before).edit(fields, run, (payload or {}).get("version"))
            return public(self._save(tx, PROPOSALS, before, after.document, "proposal.edit", "proposal",
                                     {"period": before["period"], "cluster": before["cluster"]}, [event]))
        return self.uow.run(work)

    @rpc
    def submit_proposals(self, cluster_code, period_code):
        """Every DRAFT proposal of the run to the standing office."""
        caller = self.caller.require()

        def work(tx):
            run, cluster = self._as_proposer(tx, caller, cluster_code, period_code)
            drafts = list(self.db[PROPOSALS].find({"cluster": cluster_code, "period": period_code,
                                                   "state": "DRAFT"}, session=tx.session))
            if run["state"] != "CONCLUDED" or not drafts:
                raise InvalidTransition(f"Nothing to submit: {cluster_code} has no DRAFT proposal for {period_code} "
                                        f"in a CONCLUDED run (it is {run['state']}).")
            return {"items": [public(self._step(tx, p, Proposal(p).submit(caller, utcnow()))) for p in drafts]}
        return self.uow.run(work)

    @rpc
    def decide_proposal(self, proposal_id, approve, payload):
        """The standing office approves (``approve``) or rejects a SUBMITTED proposal, with a reason."""
        caller, payload = self.caller.require(), payload or {}

        def work(tx):
            before, _, _ = self._proposal(tx, proposal_id)
            move = Proposal(before).decide(approve, payload.get("reason"), caller, utcnow(), payload.get("version"))
            return public(self._step(tx, before, move))
        return self.uow.run(work)

    @rpc
    def meeting_record(self, cluster_code, period_code):
        """What the minutes of the run's meeting hold from this service: the cluster and its units,
        the run, who attends, the summary, the vote count (once closed) and the proposals."""
        self.caller.require()
        cluster, run = self._get("clusters", cluster_code), self._run(cluster_code, period_code)
        session = self.db.vote_sessions.find_one({"cluster": cluster_code, "period": period_code})
        count = public(vote_count(session, self._unit_names())) if session and session["state"] == "CLOSED" else None
        return public({"cluster": cluster, "run": run, "units": self._members(cluster), "people": self._attending(cluster),
                       "vote_count": count, "summary": self.cluster_summary(cluster_code, period_code),
                       "proposals": self.list_proposals(cluster_code, period_code)})

    # ----------------------------------------------------------------- helpers

    def _members(self, cluster):
        names = self._unit_names()
        return [{"unit": m["unit"], "name": names.get(m["unit"], m["unit"]), "role": m["role"]}
                for m in cluster["members"]]

    def _attending(self, cluster):
        """Who sits at the meeting: provincial leaders, the standing office, the member units' leaders."""
        return [{"id": p["_id"], "name": p["name"], "title": p.get("title"), "role": p["role"], "unit": p.get("unit")}
                for p in self._people_in(access.audience_groups(access.MEETING, cluster))]

    def _as_proposer(self, tx, caller, cluster_code, period_code):
        """The run and its cluster, once ``caller`` is known to be one who may propose for it."""
        run, cluster = self._run(cluster_code, period_code, tx), self._get("clusters", cluster_code, tx)
        rules.require_proposer(caller, cluster, run)
        return run, cluster

    def _proposal(self, tx, proposal_id):
        found = tx.find_one(PROPOSALS, {"_id": proposal_id})
        if found is None:
            raise UnknownProposal(f"No proposal has the id {proposal_id!r}: see GET "
                                  "/api/v1/clusters/<c>/periods/<p>/proposals.")
        cluster = self._get("clusters", found["cluster"], tx)
        return found, cluster, self._run(found["cluster"], found["period"], tx)

    def _step(self, tx, before, move):
        after, event = move
        return self._save(tx, PROPOSALS, before, after.document, event.type.rsplit(".", 1)[0], "proposal",
                          {"period": before["period"], "cluster": before["cluster"]}, [event])

    def _discard(self, tx, drafts):
        for document in drafts:
            tx.delete(PROPOSALS, document)
            event = Proposal(document).event("proposal.discarded.v1")
            tx.record("proposal.discard", "proposal", document["_id"], document, None,
                      {"period": document["period"], "cluster": document["cluster"]}, [self._envelope(event)])

    def _unit_names(self, tx=None):
        found = self.db.units.find({}, {"name": 1}, session=tx and tx.session)
        return {u["_id"]: u.get("name", u["_id"]) for u in found}
