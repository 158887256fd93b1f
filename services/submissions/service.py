"""The submissions service: the system of record for units, clusters, periods, criteria
templates, reports, votes and the audit trail.

Every state change is written with its audit entry and its event(s) in one
transaction (transactional outbox); the relay publishes the events. The rules live
in the pure modules beside this one: ``lifecycle``, ``reports``, ``reference``,
``voting`` and ``thidua.criteria``.
"""
import base64
import binascii
import hashlib
import io
import json
import random
import time
import uuid
from datetime import timedelta

import gridfs
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bson import ObjectId
from bson.errors import InvalidId

from nameko.dependency_providers import Config

from services.submissions import evidence, lifecycle, reference, reports, store, voting
from thidua import audit, criteria, outbox, tokens
from thidua.correlation import CorrelationId
from thidua.errors import (AlreadyVoted, Conflict, Forbidden, IdempotencyKeyReused, NotAMember, PeriodNotOpen,
                           ReportExists, StaleVersion, Unauthenticated, UnknownCluster, UnknownEvidence,
                           UnknownPeriod, UnknownReport, UnknownTemplate, UnknownUnit, ValidationFailed,
                           TooManyAttempts, VotingClosed)
from thidua.events import isoformat, new_event, utcnow
from thidua.mongo import Mongo, in_transaction, public
from thidua.rpc import rpc
from thidua.security import StartupChecks, demo_mode
from thidua.settings import Security

LEADER_ROLES = ("provincial_leader", "standing_office")
PASSWORDS = PasswordHasher()          # argon2id, memory-hard
MAX_FAILED_LOGINS, LOCKOUT = 5, 15 * 60  # five wrong passwords lock the account for 15 minutes
ACCOUNT_FIELDS = ("password_hash", "failed_logins", "locked_until")  # kept apart from what reference data says
HIDDEN = {field: False for field in ACCOUNT_FIELDS}
UNKNOWN = {"units": (UnknownUnit, ": use a unit code from /api/v1/units"),
           "periods": (UnknownPeriod, ", e.g. \"2021-Q1\" (see /api/v1/periods)"),
           "clusters": (UnknownCluster, "")}
SYSTEM_PREFIX = "system:"


class SubmissionsService:
    name = "submissions"

    db = Mongo(indexes=store.ensure_indexes)
    relay = outbox.Relay()
    correlation_id = CorrelationId()
    config = Config()
    startup_checks = StartupChecks()

    # --- plumbing ---------------------------------------------------------------

    def _actor(self, actor):
        """The person behind a request, as this service knows them, never as the caller claims.

        Outside demo mode a person must come with their signed access token (the gateway
        passes it along), so a call that bypasses the gateway cannot act for anyone else.
        ``system:`` actors are the operators' own tools, which hold the broker's credentials."""
        actor = actor or {}
        person_id = actor.get("id")
        if not isinstance(person_id, str) or not person_id:
            raise Unauthenticated("Sign in first (POST /api/v1/auth/login) and send the access token.")
        if person_id.startswith(SYSTEM_PREFIX):
            return {"id": person_id, "role": "system", "unit": None}
        if actor.get("api_token"):
            if self._api_token_owner(actor["api_token"]) != person_id:
                raise Unauthenticated("This API token is not valid (unknown or revoked).")
        elif not demo_mode(self.config):
            try:
                claims = tokens.verify(Security.of(self.config).token_secret, actor.get("token"), "access", time.time())
            except tokens.TokenInvalid:
                raise Unauthenticated("A signed access token is required; sign in again.")
            if claims["sub"] != person_id or not self.session_active(claims["sid"]):
                raise Unauthenticated("The access token does not belong to this caller or its session has ended.")
        person = self.db.people.find_one({"_id": person_id})
        if person is None:
            raise Unauthenticated(f"No person has the id {person_id!r}.")
        return {"id": person["_id"], "role": person["role"], "unit": person.get("unit")}

    @rpc
    def whois(self, actor):
        """The checked person behind ``actor``, for the other services."""
        return self._actor(actor)

    def _commit(self, work, actor, idempotency_key=None, request=None):
        """Run ``work(session, change)`` in one transaction; ``change(...)`` records an audit entry
        and the events of one state change. With an idempotency key, a retried request returns
        the first answer instead of acting twice."""
        key = f"{actor['id']}:{idempotency_key}" if idempotency_key else None
        fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()

        def transaction(session):
            if key is not None:
                earlier = self.db.idempotency.find_one({"_id": key}, session=session)
                if earlier is not None:
                    if earlier["request"] != fingerprint:
                        raise IdempotencyKeyReused(
                            "This Idempotency-Key was used for a different request; use a new key.")
                    return earlier["response"]

            def change(action, entity, entity_id, before, after, context=None, events=()):
                context = dict(context or {}, event_ids=[e["id"] for e in events])
                audit.record(self.db, session, actor=actor["id"], action=action, entity=entity,
                             entity_id=entity_id, before=before, after=after,
                             correlation_id=self.correlation_id, context=context)
                for event in events:
                    outbox.record(self.db, session, event)

            response = work(session, change)
            if key is not None:
                self.db.idempotency.insert_one({"_id": key, "request": fingerprint, "response": response,
                                                "at": utcnow()}, session=session)
            return response

        return in_transaction(self.db, transaction)

    def _event(self, event_type, data):
        return new_event(event_type, data, self.correlation_id)

    # --- reference data -------------------------------------------------------------

    @rpc
    def load_reference_data(self, data, actor):
        """Create or replace templates, units, clusters, periods and people in one go
        (administrator, demo loader), each checked as its own endpoint would. Idempotent:
        the same data twice changes nothing. New periods start PLANNED; a known period
        keeps its state."""
        actor = self._actor(actor)
        if actor["role"] not in ("system", "administrator"):
            raise Forbidden("Only an administrator may load reference data.")
        counts = {"templates": sum(self._publish(t, actor, True) is not None for t in data.get("templates", []))}
        for name in ("units", "clusters", "periods", "people"):
            counts[name] = 0
            for payload in data.get(name, []):
                counts[name] += self._upsert(name, self._clean_reference(name, payload), actor) is not None
        return counts

    def _clean_reference(self, collection, payload):
        if collection == "units":
            return reference.unit(payload)
        if collection == "clusters":
            clean = reference.cluster(payload, self._units())
            for member in clean["members"]:
                other = self.db.clusters.find_one({"year": clean["year"], "level": clean["level"],
                                                   "members.unit": member["unit"], "_id": {"$ne": clean["_id"]}})
                if other is not None:
                    raise Conflict(f"Unit {member['unit']} is already in {other['_id']} for {clean['year']}: "
                                   "a unit belongs to one cluster per level per year.")
            return clean
        if collection == "periods":
            known = {(t["id"], t["version"]) for t in self.db.templates.find({}, {"id": 1, "version": 1})}
            return reference.period(payload, known)
        return reference.person(payload, self._units())

    def _units(self, session=None):
        return {u["_id"] for u in self.db.units.find({}, {"_id": 1}, session=session)}

    def _upsert(self, collection, clean, actor):
        """Store a reference document; ``None`` if it was already so. A period keeps its state
        and version; only a PLANNED one may be re-planned."""
        def work(session, change):
            before = self.db[collection].find_one({"_id": clean["_id"]}, session=session)
            document = clean
            if collection == "periods":
                if before is not None and before["state"] != "PLANNED":
                    if {k: before.get(k) for k in clean} == clean:
                        return None
                    raise Conflict(f"Period {clean['_id']} is {before['state']}; only a PLANNED period "
                                   "can be re-planned.")
                document = {**clean, "state": "PLANNED", "version": (before or {}).get("version", 0)}
                if before == document:
                    return None
                document["version"] += 1
            elif collection == "people":
                document = {**clean, **{k: before[k] for k in ACCOUNT_FIELDS if before and k in before}}
                if before == document:
                    return None
            elif before == document:
                return None
            self.db[collection].replace_one({"_id": clean["_id"]}, document, upsert=True, session=session)
            context = {"period": clean["_id"]} if collection == "periods" else {}
            change(f"{collection}.upsert", collection, clean["_id"], before, document, context)
            return public(_without_secret(document))
        return self._commit(work, actor)

    @rpc
    def upsert_unit(self, payload, actor):
        return self._admin_upsert("units", payload, actor, "change units")

    @rpc
    def upsert_cluster(self, payload, actor):
        return self._admin_upsert("clusters", payload, actor, "change clusters")

    @rpc
    def upsert_person(self, payload, actor):
        return self._admin_upsert("people", payload, actor, "change people")

    @rpc
    def plan_period(self, payload, actor):
        """Create a period (PLANNED) or re-plan one that has not opened yet."""
        actor = self._actor(actor)
        lifecycle.require_period_manager(actor)
        clean = self._clean_reference("periods", payload)
        return self._upsert("periods", clean, actor) or public(self.db.periods.find_one({"_id": clean["_id"]}))

    def _admin_upsert(self, collection, payload, actor, what):
        actor = self._actor(actor)
        lifecycle.require_admin(actor, what)
        clean = self._clean_reference(collection, payload)
        return self._upsert(collection, clean, actor) or public(clean)

    @rpc
    def transition_period(self, period_code, action, expected_version, actor):
        actor = self._actor(actor)
        lifecycle.require_period_manager(actor)

        def work(session, change):
            period = self.db.periods.find_one({"_id": period_code}, session=session)
            if period is None:
                raise UnknownPeriod(f"No period has the code {period_code!r}.")
            _check_version(period, expected_version, "period")
            state, event_type = lifecycle.period_transition(period["state"], action)
            after = {**period, "state": state, "version": period["version"] + 1}
            self.db.periods.replace_one({"_id": period_code, "version": period["version"]}, after, session=session)
            event = self._event(event_type, {"period": period_code, "label": period["label"], "state": state,
                                             "year": period["year"]})
            change(f"period.{action}", "period", period_code, period, after, {"period": period_code}, [event])
            return public(after)
        return self._commit(work, actor)

    @rpc
    def publish_template(self, payload, actor, idempotency_key=None):
        actor = self._actor(actor)
        lifecycle.require_admin(actor, "publish criteria templates")
        return self._publish(payload, actor, False, idempotency_key)

    def _publish(self, payload, actor, skip_if_same, idempotency_key=None):
        """A new immutable version of a criteria template; templates are never edited in place."""
        template = reference.template(payload)

        def work(session, change):
            latest = self.db.templates.find_one({"id": template["id"]}, sort=[("version", -1)], session=session)
            if skip_if_same and latest is not None and _template_body(latest) == template:
                return None
            document = {**template, "_id": f"{template['id']}@{(latest or {}).get('version', 0) + 1}",
                        "version": (latest or {}).get("version", 0) + 1, "published_at": utcnow()}
            self.db.templates.insert_one(document, session=session)
            event = self._event("template.published.v1", {"template": public(_template_body(document) | {
                "version": document["version"]})})
            change("template.publish", "template", document["_id"], None, document, {}, [event])
            return public({k: v for k, v in document.items() if k != "_id"})
        return self._commit(work, actor, idempotency_key, {"template": payload})

    @rpc
    def get_template(self, template_id, version=None):
        query = {"id": template_id} if version is None else {"id": template_id, "version": version}
        found = self.db.templates.find_one(query, sort=[("version", -1)], projection={"_id": False})
        if found is None:
            raise UnknownTemplate(f"No criteria template {template_id!r}" +
                                  (f" version {version}." if version else "."))
        return public(found)

    @rpc
    def list_units(self):
        return [public(u) for u in self.db.units.find().sort("_id")]

    @rpc
    def list_periods(self):
        return [public(p) for p in self.db.periods.find().sort("_id")]

    @rpc
    def get_cluster(self, cluster_code):
        return public(self._get("clusters", cluster_code))

    @rpc
    def list_clusters(self):
        return [public(c) for c in self.db.clusters.find().sort([("year", -1), ("_id", 1)])]

    @rpc
    def me(self, actor):
        """The signed-in person (no secrets) and the clusters they take part in, newest year
        first, with their unit's role in each; people without a unit see every cluster."""
        checked = self._actor(actor)
        person = self.db.people.find_one({"_id": checked["id"]}) or {"_id": checked["id"], "role": "system"}
        unit = person.get("unit")
        query = {"members.unit": unit} if unit else {}
        clusters = [{"id": c["_id"], "name": c["name"], "year": c["year"],
                     "role": next((m["role"] for m in c["members"] if m["unit"] == unit), None)}
                    for c in self.db.clusters.find(query).sort([("year", -1), ("_id", 1)])]
        shown = {k: v for k, v in public(person).items() if k not in PRIVATE_PERSON_FIELDS}
        return {**shown, "clusters": clusters}

    @rpc
    def audience(self, who, cluster_code=None, unit=None):
        """People to tell, by who they are to a cluster (the notification rules' audiences):
        ``leaders`` (provincial leaders, the standing office, the lead and deputy units'
        leaders), ``cluster_lead`` (the lead and deputy units' leaders), ``unit`` (the
        unit's own people), ``members`` (the people of every member unit) or ``everyone``
        (all people with a unit, and the leaders)."""
        unit_roles = ["unit_leader", "unit_officer"]
        if who == "everyone":
            query = {"$or": [{"role": {"$in": unit_roles}}, {"role": {"$in": list(LEADER_ROLES)}}]}
        elif who == "unit":
            self._get("units", unit)
            query = {"role": {"$in": unit_roles}, "unit": unit}
        else:
            cluster = self._get("clusters", cluster_code)
            leading = [m["unit"] for m in cluster["members"] if m["role"] in lifecycle.CLUSTER_LEADING_ROLES]
            query = {
                "leaders": {"$or": [{"role": {"$in": list(LEADER_ROLES)}},
                                    {"role": "unit_leader", "unit": {"$in": leading}}]},
                "cluster_lead": {"role": "unit_leader", "unit": {"$in": leading}},
                "members": {"role": {"$in": unit_roles}, "unit": {"$in": [m["unit"] for m in cluster["members"]]}},
            }.get(who)
            if query is None:
                raise ValidationFailed(f"Unknown audience {who!r}.")
        return [public(p) for p in self.db.people.find(query, HIDDEN).sort("_id")]

    @rpc
    def reporting_status(self):
        """For every period taking reports (OPEN or CLOSED) with a deadline: per cluster of its
        year, the member units that have not handed in their report."""
        status = []
        for period in self.db.periods.find({"state": {"$in": ["OPEN", "CLOSED"]}, "deadline": {"$ne": None}}):
            handed_in = {r["unit"] for r in self.db.reports.find(
                {"period": period["_id"], "status": {"$ne": "DRAFT"}}, {"unit": 1})}
            for cluster in self.db.clusters.find({"year": period["year"]}).sort("_id"):
                members = sorted(m["unit"] for m in cluster["members"])
                status.append({"period": period["_id"], "label": period["label"],
                               "deadline": isoformat(period["deadline"]), "cluster": cluster["_id"],
                               "cluster_name": cluster["name"],
                               "missing": [u for u in members if u not in handed_in]})
        return status

    # --- accounts and sessions ----------------------------------------------------------

    @rpc
    def set_password(self, person_id, password, actor):
        """A person's password (argon2id); set by the person, an administrator or the demo loader."""
        actor = self._actor(actor)
        if actor["id"] != person_id and actor["role"] not in ("administrator", "system"):
            raise Forbidden("Only the person themself or an administrator may set a password.")
        if not isinstance(password, str) or not 10 <= len(password) <= 200:
            raise ValidationFailed("A password has 10 to 200 characters.", {"fields": {"password": "10-200"}})
        if _password_matches(self._get_person(person_id), password):
            return {"person": person_id, "password": "unchanged"}   # the same password again changes nothing

        def work(session, change):
            before = self.db.people.find_one({"_id": person_id}, session=session)
            after = {**before, "password_hash": PASSWORDS.hash(password), "failed_logins": 0, "locked_until": None}
            self.db.people.replace_one({"_id": person_id}, after, session=session)
            change("person.password", "people", person_id, _without_secret(before), _without_secret(after))
            return {"person": person_id, "password": "set"}
        return self._commit(work, actor)

    def _get_person(self, person_id):
        person = self.db.people.find_one({"_id": person_id}) if isinstance(person_id, str) else None
        if person is None:
            raise Unauthenticated("Wrong person id or password.")
        return person

    @rpc
    def login(self, person_id, password, address=None):
        """Check a person's password; on success open a session and return it. Five wrong
        passwords lock the account for 15 minutes; demo accounts work only in demo mode."""
        person = self._get_person(person_id)
        now = utcnow()
        if person.get("locked_until") and person["locked_until"] > now:
            raise TooManyAttempts("Too many wrong passwords: the account is locked until "
                                  f"{isoformat(person['locked_until'])}.")
        if person.get("demo") and not demo_mode(self.config):
            raise Unauthenticated("Demo accounts can sign in only when the platform runs in demo mode.")
        ok = _password_matches(person, password)
        actor = {"id": person["_id"]}

        def work(session, change):
            before = self.db.people.find_one({"_id": person["_id"]}, session=session)
            if ok:
                after = {**before, "failed_logins": 0, "locked_until": None}
                sid = uuid.uuid4().hex
                seconds = Security.of(self.config).refresh_token_seconds
                self.db.sessions.insert_one({"_id": sid, "person": person["_id"], "created_at": now,
                                             "expires_at": now + timedelta(seconds=seconds), "revoked_at": None,
                                             "address": address}, session=session)
                change("login", "session", sid, None, {"person": person["_id"]}, {"address": address})
            else:
                failures = before.get("failed_logins", 0) + 1
                locked = now + timedelta(seconds=LOCKOUT) if failures >= MAX_FAILED_LOGINS else None
                after = {**before, "failed_logins": 0 if locked else failures, "locked_until": locked}
                sid = None
                change("login.failed", "people", person["_id"], None, None, {"address": address,
                                                                            "locked": locked is not None})
            self.db.people.replace_one({"_id": person["_id"]}, after, session=session)
            return sid

        sid = self._commit(work, actor)
        if sid is None:
            raise Unauthenticated("Wrong person id or password.")
        return {"session": sid, "person": _without_secret(public(person))}

    # --- API tokens for machine clients (another system posting reports, say) ---------------

    def _api_token_owner(self, token):
        digest = hashlib.sha256(token.encode()).hexdigest() if isinstance(token, str) else None
        found = self.db.api_tokens.find_one({"_id": digest}) if digest else None
        return found["person"] if found and found["revoked_at"] is None else None

    @rpc
    def api_token_owner(self, token):
        owner = self._api_token_owner(token)
        if owner is None:
            raise Unauthenticated("This API token is not valid (unknown or revoked).")
        return owner

    @rpc
    def create_api_token(self, person_id, name, actor):
        """A long-lived token for a machine acting as ``person_id``; shown once, stored as a hash."""
        actor = self._actor(actor)
        lifecycle.require_admin(actor, "issue API tokens")
        self._get_person(person_id)
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise ValidationFailed("Name the token (1 to 100 characters), e.g. the system that uses it.")
        token = "tdk_" + uuid.uuid4().hex + uuid.uuid4().hex

        def work(session, change):
            record = {"_id": hashlib.sha256(token.encode()).hexdigest(), "id": uuid.uuid4().hex[:12],
                      "person": person_id, "name": name, "created_at": utcnow(), "revoked_at": None}
            self.db.api_tokens.insert_one(record, session=session)
            change("api_token.create", "api_token", record["id"], None, {"person": person_id, "name": name})
            return {"id": record["id"], "person": person_id, "name": name, "token": token}
        return self._commit(work, actor)

    @rpc
    def revoke_api_token(self, token_id, actor):
        actor = self._actor(actor)
        lifecycle.require_admin(actor, "revoke API tokens")

        def work(session, change):
            before = self.db.api_tokens.find_one({"id": token_id}, session=session)
            if before is None:
                raise ValidationFailed(f"No API token has the id {token_id!r}.")
            self.db.api_tokens.update_one({"id": token_id}, {"$set": {"revoked_at": utcnow()}}, session=session)
            change("api_token.revoke", "api_token", token_id, {"revoked": False}, {"revoked": True})
            return {"id": token_id, "revoked": True}
        return self._commit(work, actor)

    @rpc
    def session_active(self, sid):
        found = self.db.sessions.find_one({"_id": sid}) if isinstance(sid, str) else None
        return bool(found and found["revoked_at"] is None and found["expires_at"] > utcnow())

    @rpc
    def logout(self, sid, actor):
        actor = self._actor(actor)

        def work(session, change):
            before = self.db.sessions.find_one({"_id": sid, "person": actor["id"]}, session=session)
            if before is None or before["revoked_at"] is not None:
                return {"session": sid, "revoked": True}
            after = {**before, "revoked_at": utcnow()}
            self.db.sessions.replace_one({"_id": sid}, after, session=session)
            change("logout", "session", sid, before, after)
            return {"session": sid, "revoked": True}
        return self._commit(work, actor)

    # --- reports ------------------------------------------------------------------

    def _get(self, collection, code, session=None):
        """A reference document by its code, or the domain's "unknown" error saying what to use."""
        found = self.db[collection].find_one({"_id": code}, session=session)
        if found is None:
            error, hint = UNKNOWN[collection]
            raise error(f"No {error.__name__[len('Unknown'):].lower()} has the code {code!r}{hint}.")
        return found

    def _context(self, unit_code, period_code, session=None):
        unit = self._get("units", unit_code, session)
        period = self._get("periods", period_code, session)
        cluster = store.cluster_of(self.db, unit_code, period["year"], session)
        if cluster is None:
            raise NotAMember(f"Unit {unit_code} belongs to no emulation cluster in {period['year']}.")
        template = store.template(self.db, period["template"]["id"], period["template"]["version"], session)
        return unit, period, cluster, template

    def _report_event(self, event_type, report, unit, cluster, **extra):
        data = {
            "report_id": report["_id"], "unit": report["unit"], "unit_name": unit["name"],
            "cluster": cluster["_id"], "cluster_name": cluster["name"], "period": report["period"],
            "status": report["status"], "version": report["version"], "template": report["template"],
            "values": report["values"], "self_scores": report["self_scores"], "review": report["review"],
            "violations": report["violations"], "commendations": report["commendations"],
            "submitted_at": isoformat(report["submitted_at"]) if report.get("submitted_at") else None,
            "late": report["late"], **extra,
        }
        if event_type == "report.submitted.v1":
            data.update(scores=report["self_scores"], total=report["self_total"])
        return self._event(event_type, data)

    @rpc
    def submit_report(self, payload, actor, idempotency_key=None):
        """A unit creates its report for a period: a draft (``"draft": true``) or submitted at once."""
        actor = self._actor(actor)
        problems = reports.Problems()
        unit_code, period_code = reports.validate_identity(payload, problems)
        for key in sorted(set(payload) - {"unit", "period", "draft", *reports.CONTENT_FIELDS}):
            problems.add(key, "unknown field")
        problems.raise_if_any("The report")
        unit, period, cluster, template = self._context(unit_code, period_code)
        if not lifecycle.acts_for_unit(actor, unit_code):
            raise Forbidden(f"Only the officers of unit {unit_code} may create its report.")
        content = reports.validate_content(payload, template, problems)
        problems.raise_if_any("The report")
        self._check_evidence(unit_code, content)
        draft = payload.get("draft") is True
        if not draft and period["state"] not in lifecycle.REPORTING_PERIOD_STATES:
            raise PeriodNotOpen(f"Period {period_code} is {period['state']}: reports are handed in while it is "
                                "OPEN (or, flagged late, CLOSED or SCORING).")

        def work(session, change):
            if self.db.reports.find_one({"unit": unit_code, "period": period_code}, session=session):
                raise ReportExists(f"Unit {unit_code} already has a report for {period_code}; "
                                   "change it with PUT /api/v1/reports/<id>.")
            now = utcnow()
            report = {
                "_id": str(uuid.uuid4()), "unit": unit_code, "cluster": cluster["_id"], "period": period_code,
                "template": period["template"], **content, "self_total": reports.self_total(content["self_scores"]),
                "review": {}, "status": "DRAFT", "version": 1, "created_at": now, "created_by": actor["id"],
                "submitted_at": None, "late": False, "return_reason": None, "history": [],
                "correlation_id": self.correlation_id,
            }
            events = []
            if not draft:
                report.update(status="SUBMITTED", submitted_at=now, late=reports.is_late(now, period["deadline"]))
                events.append(self._report_event("report.submitted.v1", report, unit, cluster))
            report["history"].append({"status": report["status"], "at": now, "by": actor["id"]})
            self.db.reports.insert_one(report, session=session)
            change("report.create" if draft else "report.submit", "report", report["_id"], None, report,
                   {"unit": unit_code, "period": period_code}, events)
            return public(report)

        return self._commit(work, actor, idempotency_key, {"create": payload})

    @rpc
    def update_report(self, report_id, payload, actor):
        """The unit changes its draft or returned report (optimistic concurrency on ``version``)."""
        actor = self._actor(actor)
        if not isinstance(payload, dict):
            raise ValidationFailed("The report must be a JSON object.")
        problems = reports.Problems()
        for key in sorted(set(payload) - {"version", *reports.CONTENT_FIELDS}):
            problems.add(key, "unknown field (unit and period of a report cannot change)")
        report = self._report(report_id)
        unit, period, cluster, template = self._context(report["unit"], report["period"])
        if not lifecycle.acts_for_unit(actor, report["unit"]):
            raise Forbidden(f"Only the officers of unit {report['unit']} may change its report.")
        content = reports.validate_content(payload, template, problems)
        problems.raise_if_any("The report")
        self._check_evidence(report["unit"], content)

        def work(session, change):
            current = self._report(report_id, session)
            _check_version(current, payload.get("version"), "report")
            if current["status"] not in lifecycle.EDITABLE_REPORT_STATES:
                raise lifecycle.InvalidTransition(
                    f"A report can be changed only while it is DRAFT or RETURNED; it is {current['status']}.")
            after = {**current, **content, "self_total": reports.self_total(content["self_scores"]),
                     "version": current["version"] + 1}
            self._replace(current, after, session)
            change("report.update", "report", report_id, current, after,
                   {"unit": current["unit"], "period": current["period"]})
            return public(after)
        return self._commit(work, actor)

    @rpc
    def act_on_report(self, report_id, action, payload, actor, idempotency_key=None):
        """Move a report: ``submit`` (or resubmit), ``return`` (with a reason), ``review`` (the
        cluster lead's scores per criterion, with comments) or ``finalize`` (locks it)."""
        actor = self._actor(actor)
        if not isinstance(payload, dict):
            raise ValidationFailed("The action's body must be a JSON object.")
        report = self._report(report_id)
        unit, period, cluster, template = self._context(report["unit"], report["period"])
        if action not in lifecycle.REPORT_ACTIONS:
            lifecycle.report_transition(report["status"], action)  # raises with the list of actions
        lifecycle.require_report_actor(actor, action, report, cluster)
        problems = reports.Problems()
        allowed = {"version", "reason"} if action == "return" else {"version", "review"} if action == "review" \
            else {"version"}
        for key in sorted(set(payload) - allowed):
            problems.add(key, "unknown field")
        reason = reports.text(payload.get("reason"), "reason", problems, 2000, required=True) \
            if action == "return" else None
        review = reports.validate_review(payload.get("review", {}), template, problems) if action == "review" else {}
        problems.raise_if_any("The action")
        states = lifecycle.REPORTING_PERIOD_STATES if action == "submit" else lifecycle.REVIEWING_PERIOD_STATES
        if period["state"] not in states:
            raise PeriodNotOpen(f"Period {period['_id']} is {period['state']}: a report cannot be "
                                f"{lifecycle.action_past(action)} now.")

        def work(session, change):
            current = self._report(report_id, session)
            _check_version(current, payload.get("version"), "report")
            status, event_type = lifecycle.report_transition(current["status"], action)
            now = utcnow()
            after = {**current, "status": status, "version": current["version"] + 1,
                     "history": [*current["history"], {"status": status, "at": now, "by": actor["id"],
                                                       **({"reason": reason} if reason else {})}]}
            if action == "submit":
                after["submitted_at"] = now
                after["late"] = reports.is_late(now, period["deadline"])
                after["return_reason"] = None
            elif action == "return":
                after["return_reason"] = reason
            elif action == "review":
                after["review"] = {**current["review"], **review}
                after["reviewed_by"] = actor["id"]
            self._replace(current, after, session)
            extra = {"reason": reason} if action == "return" else {}
            event = self._report_event(event_type, after, unit, cluster, **extra)
            change(f"report.{action}", "report", report_id, current, after,
                   {"unit": current["unit"], "period": current["period"]}, [event])
            return public(after)

        return self._commit(work, actor, idempotency_key, {"report": report_id, "action": action, **payload})

    def _report(self, report_id, session=None):
        report = self.db.reports.find_one({"_id": report_id}, session=session)
        if report is None:
            raise UnknownReport(f"No report has the id {report_id!r}.")
        return report

    def _replace(self, current, after, session):
        result = self.db.reports.replace_one({"_id": current["_id"], "version": current["version"]}, after,
                                             session=session)
        if result.matched_count != 1:
            raise StaleVersion("The report changed meanwhile; reload it and try again.")

    def _reader(self, actor):
        """Who is reading (anyone may read handed-in reports; drafts only their own unit's people)."""
        try:
            return self._actor(actor) if (actor or {}).get("id") else {"id": None, "role": None, "unit": None}
        except Unauthenticated:
            return {"id": None, "role": None, "unit": None}

    @staticmethod
    def _may_read(reader, report):
        return report["status"] != "DRAFT" or lifecycle.acts_for_unit(reader, report["unit"]) \
            or reader["role"] in ("administrator", "system")

    @rpc
    def get_report(self, report_id, actor=None):
        report = self._report(report_id)
        if not self._may_read(self._reader(actor), report):
            raise UnknownReport(f"No report has the id {report_id!r}.")   # a draft is nobody else's business
        return public(report)

    @rpc
    def list_reports(self, cluster=None, period=None, unit=None, limit=200, actor=None):
        reader = self._reader(actor)
        query = {k: v for k, v in (("cluster", cluster), ("period", period), ("unit", unit)) if v is not None}
        found = self.db.reports.find(query).sort("unit").limit(min(int(limit), 1000))
        return [public(r) for r in found if self._may_read(reader, r)]

    @rpc
    def cluster_summary(self, cluster_code, period_code):
        """What a cluster handed in for a period: reports by status, late ones, who is missing,
        and the cluster-wide commendation figures."""
        cluster = self._get("clusters", cluster_code)
        found = list(self.db.reports.find({"cluster": cluster_code, "period": period_code}))
        handed_in = [r for r in found if r["status"] != "DRAFT"]
        by_status = {}
        for report in found:
            by_status[report["status"]] = by_status.get(report["status"], 0) + 1
        members = [m["unit"] for m in cluster["members"]]
        return {"cluster": cluster_code, "period": period_code, "members": len(members),
                "by_status": by_status, "late": sorted(r["unit"] for r in handed_in if r["late"]),
                "not_submitted": sorted(set(members) - {r["unit"] for r in handed_in}),
                "commendations": reports.commendation_totals(handed_in)}

    # --- evidence files ---------------------------------------------------------------

    @rpc
    def store_evidence(self, unit_code, name, content_type, data_base64, actor):
        """Keep an evidence file of a unit in GridFS; reports refer to it by ``file_id``."""
        actor = self._actor(actor)
        self._get("units", unit_code)
        if not lifecycle.acts_for_unit(actor, unit_code):
            raise Forbidden(f"Only the officers of unit {unit_code} may attach its evidence.")
        try:
            data = base64.b64decode(data_base64, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise ValidationFailed("The file content is not valid base64.")
        facts = evidence.check(name, content_type, data)
        # GridFS cannot join a transaction: the file goes in first, and counts only once the
        # transaction below has recorded it; if that fails the file is removed again.
        bucket = gridfs.GridFSBucket(self.db, bucket_name="evidence")
        file_id = bucket.upload_from_stream(facts["name"], io.BytesIO(data), metadata={"unit": unit_code})

        def work(session, change):
            record = {"_id": str(file_id), "unit": unit_code, **facts, "uploaded_by": actor["id"],
                      "uploaded_at": utcnow()}
            self.db.evidence.insert_one(record, session=session)
            change("evidence.store", "evidence", record["_id"], None, record, {"unit": unit_code})
            return public(record)

        try:
            return self._commit(work, actor)
        except Exception:
            bucket.delete(file_id)
            raise

    @rpc
    def get_evidence(self, file_id):
        """The file and its record (content as base64)."""
        record = self.db.evidence.find_one({"_id": file_id})
        try:
            object_id = ObjectId(file_id)
        except (InvalidId, TypeError):
            record = None
        if record is None:
            raise UnknownEvidence(f"No evidence file has the id {file_id!r}.")
        data = gridfs.GridFSBucket(self.db, bucket_name="evidence").open_download_stream(object_id).read()
        return {**public(record), "data_base64": base64.b64encode(data).decode()}

    def _check_evidence(self, unit_code, content):
        for index, item in enumerate(content["evidence"]):
            record = self.db.evidence.find_one({"_id": item["file_id"]})
            if record is None or record["unit"] != unit_code:
                raise ValidationFailed(f"evidence[{index}]: no file {item['file_id']!r} of unit {unit_code}; "
                                       "upload it first with POST /api/v1/units/<unit>/evidence.",
                                       {"fields": {f"evidence[{index}].file_id": "unknown file of this unit"}})

    # --- voting -------------------------------------------------------------------

    def _vote_scope(self, cluster_code, period_code, session=None):
        return self._get("clusters", cluster_code, session), self._get("periods", period_code, session)

    @rpc
    def open_vote(self, cluster_code, period_code, actor):
        actor = self._actor(actor)
        cluster, period = self._vote_scope(cluster_code, period_code)
        if not lifecycle.leads_cluster(actor, cluster):
            raise Forbidden(f"Only the lead or deputy unit of {cluster_code} may open its vote.")
        if period["state"] != "VOTING":
            raise PeriodNotOpen(f"Period {period_code} is {period['state']}; votes open while it is VOTING.")
        template = store.template(self.db, period["template"]["id"], period["template"]["version"])

        def work(session, change):
            if self.db.vote_sessions.find_one({"cluster": cluster_code, "period": period_code}, session=session):
                raise Conflict(f"{cluster_code} already has a vote for {period_code}.")
            members = sorted(m["unit"] for m in cluster["members"])
            vote = {"_id": str(uuid.uuid4()), "cluster": cluster_code, "period": period_code, "state": "OPEN",
                    "members": members, "voted": [], "rules": template.get("voting", {"threshold": 0.5,
                                                                                     "quorum": 0.5}),
                    "levels": criteria.level_codes(template), "opened_at": utcnow(), "opened_by": actor["id"],
                    "tally": None}
            self.db.vote_sessions.insert_one(vote, session=session)
            event = self._event("vote.opened.v1", {"cluster": cluster_code, "cluster_name": cluster["name"],
                                                   "period": period_code, "session_id": vote["_id"],
                                                   "members": members})
            change("vote.open", "vote", vote["_id"], None, vote, {"period": period_code}, [event])
            return _vote_view(vote)
        return self._commit(work, actor)

    @rpc
    def cast_ballot(self, cluster_code, period_code, ballot, actor, idempotency_key=None):
        """One secret ballot per member unit: who voted is recorded, apart from what was chosen."""
        actor = self._actor(actor)
        cluster, _ = self._vote_scope(cluster_code, period_code)
        members = {m["unit"] for m in cluster["members"]}
        if actor["role"] not in ("unit_leader", "unit_officer") or actor["unit"] not in members:
            raise Forbidden(f"Only a member unit of {cluster_code} may vote.")

        def work(session, change):
            vote = self.db.vote_sessions.find_one({"cluster": cluster_code, "period": period_code}, session=session)
            if vote is None or vote["state"] != "OPEN":
                raise VotingClosed(f"There is no open vote of {cluster_code} for {period_code}.")
            clean = voting.validate_ballot(ballot, set(vote["members"]), vote["levels"])
            if actor["unit"] in vote["voted"]:
                raise AlreadyVoted(f"Unit {actor['unit']} has already voted.")
            voted = sorted([*vote["voted"], actor["unit"]])  # sorted: the order says nothing of who came when
            result = self.db.vote_sessions.update_one({"_id": vote["_id"], "voted": vote["voted"]},
                                                      {"$set": {"voted": voted}}, session=session)
            if result.matched_count != 1:
                raise Conflict("Another ballot was cast at the same moment; send yours again.")
            # A random id and no time, no voter: nothing in the ballot points back at its unit.
            self.db.ballots.insert_one({"_id": uuid.UUID(int=random.SystemRandom().getrandbits(128)).hex,
                                        "session": vote["_id"], **clean}, session=session)
            event = self._event("vote.ballot_cast.v1", {
                "cluster": cluster_code, "cluster_name": cluster["name"], "period": period_code,
                "session_id": vote["_id"], "voter_unit": actor["unit"], "ballots_cast": len(voted)})
            change("vote.ballot_cast", "vote", vote["_id"], None, None,
                   {"period": period_code, "unit": actor["unit"]}, [event])
            return {"cluster": cluster_code, "period": period_code, "voted": True, "ballots_cast": len(voted)}

        return self._commit(work, actor, idempotency_key, {"ballot": [cluster_code, period_code]})

    @rpc
    def close_vote(self, cluster_code, period_code, actor):
        actor = self._actor(actor)
        cluster, _ = self._vote_scope(cluster_code, period_code)
        if not lifecycle.leads_cluster(actor, cluster):
            raise Forbidden(f"Only the lead or deputy unit of {cluster_code} may close its vote.")

        def work(session, change):
            vote = self.db.vote_sessions.find_one({"cluster": cluster_code, "period": period_code}, session=session)
            if vote is None or vote["state"] != "OPEN":
                raise VotingClosed(f"There is no open vote of {cluster_code} for {period_code}.")
            ballots = list(self.db.ballots.find({"session": vote["_id"]}, session=session))
            after = {**vote, "state": "CLOSED", "closed_at": utcnow(), "closed_by": actor["id"],
                     "tally": voting.tally(ballots, len(vote["members"]))}
            self.db.vote_sessions.replace_one({"_id": vote["_id"]}, after, session=session)
            event = self._event("vote.closed.v1", {
                "cluster": cluster_code, "cluster_name": cluster["name"], "period": period_code,
                "session_id": vote["_id"], "tally": after["tally"], "rules": vote["rules"]})
            change("vote.close", "vote", vote["_id"], vote, after, {"period": period_code}, [event])
            return _vote_view(after)
        return self._commit(work, actor)

    @rpc
    def vote_status(self, cluster_code, period_code):
        vote = self.db.vote_sessions.find_one({"cluster": cluster_code, "period": period_code})
        if vote is None:
            raise VotingClosed(f"{cluster_code} has no vote for {period_code}.")
        return _vote_view(vote)

    # --- audit ----------------------------------------------------------------------

    @rpc
    def audit_trail(self, unit=None, period=None, actor=None, entity=None, entity_id=None, limit=100):
        return audit.query(self.db, unit, period, actor, entity, entity_id, limit)

    @rpc
    def ping(self):
        self.db.command("ping")
        return {"service": self.name, "ok": True}


def _password_matches(person, password):
    try:
        return PASSWORDS.verify(person.get("password_hash") or "", password if isinstance(password, str) else "")
    except (VerificationError, InvalidHashError):
        return False


PRIVATE_PERSON_FIELDS = ("password_hash", "failed_logins", "locked_until")


def _without_secret(person):
    return None if person is None else {k: v for k, v in person.items() if k != "password_hash"}


def _check_version(document, expected, what):
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise ValidationFailed(f"Send the {what}'s current version (a whole number) to change it.",
                               {"fields": {"version": "required"}})
    if document["version"] != expected:
        raise StaleVersion(f"The {what} is at version {document['version']}, not {expected}: "
                           "someone changed it meanwhile; reload it and try again.")


def _template_body(document):
    return {k: v for k, v in document.items() if k not in ("_id", "version", "published_at")}


def _vote_view(vote):
    """A vote as anyone may see it: who voted, and the tally only once it is closed."""
    view = public({k: v for k, v in vote.items()})
    if vote["state"] != "CLOSED":
        view["tally"] = None
    view["ballots_cast"] = len(vote["voted"])
    return view
