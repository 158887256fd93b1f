"""Identity: who a caller is (:func:`resolve`), accounts and their passwords, sessions, and the
API tokens of machine clients.

A password never reaches this service: the gateway asks for the hash to check
(:meth:`Identity.sign_in_hash`), checks it itself and reports the outcome
(:meth:`Identity.finish_sign_in`), which opens the session or counts the failure."""
import time
import uuid
from datetime import timedelta

from services.submissions import store
from services.submissions.domain import access, people
from thidua import tokens
from thidua.caller import SYSTEM_ROLE, Caller
from thidua.errors import TooManyAttempts, Unauthenticated, ValidationFailed
from thidua.events import isoformat, utcnow
from thidua.mongo import public
from thidua.rpc import rpc
from thidua.security import PASSWORDS, demo_mode, password_matches

SYSTEM_PREFIX = tokens.SYSTEM_PREFIX
WRONG_PASSWORD = "Wrong person id or password."   # the one answer to every failed sign-in
SIGN_IN_FIRST = "Sign in first (POST /api/v1/auth/login) and send the access token."


def resolve(service, credential):
    """The person behind a credential, as this service knows them, never as the caller claims.

    A credential is an assertion signed with ``SERVICE_SECRET`` (the gateway's, for a person it
    checked, naming their session or API token, which must still be theirs and active) or a
    service token (an operator tool or a service: role ``system``). Only in demo mode may a bare
    id name a person, and never a ``system:`` one."""
    if credential.get("assertion"):
        try:
            claims = tokens.verify_on_bus(service.settings.security.service_secret, credential["assertion"],
                                          time.time())
        except tokens.TokenInvalid:
            raise Unauthenticated("The credential of this call is not valid (altered, expired or not the "
                                  "platform's); sign in again.")
        if claims["typ"] == tokens.SERVICE:
            return Caller(claims["sub"], SYSTEM_ROLE)
        person_id, session = claims["sub"], claims.get("sid")
        if credential.get("id", person_id) != person_id:
            raise Unauthenticated("The credential of this call names someone else than it is signed for.")
        if session and not service._session_of(session, person_id):
            raise Unauthenticated("This session has ended or is not this person's; sign in again.")
        if not session and service._api_token_owner(api_id=claims.get("api")) != person_id:
            raise Unauthenticated("This API token is not valid (unknown or revoked).")
    elif demo_mode(service.config) and not credential.get("id", "").startswith(SYSTEM_PREFIX):
        person_id, session = credential.get("id"), None   # demo mode: the X-Actor header names the person
    else:
        raise Unauthenticated(SIGN_IN_FIRST)
    person = service.remembered.reads().one(("people", person_id), lambda: service.db.people.find_one(
        {"_id": person_id}, store.CALLER)) if person_id else None
    if person is None:
        raise Unauthenticated(f"No person has the id {person_id!r}." if person_id else SIGN_IN_FIRST)
    return Caller(person["_id"], person["role"], person.get("unit"), session)


class Identity:
    @rpc
    def whois(self):
        """The checked caller, for the other services."""
        return {**self.caller.require().as_dict(), "session": self.caller.session}

    @rpc
    def set_password(self, person_id, password):
        """A person's password (argon2id); set by the person, an administrator or the demo loader.
        Every other session of the person ends (their own, if they changed it themself, stays), so
        whoever knew the old password is signed out."""
        caller = self.caller.require()
        access.require_password_setter(caller, person_id)
        if not isinstance(password, str) or not 10 <= len(password) <= 200:
            raise ValidationFailed("A password has 10 to 200 characters.", {"fields": {"password": "10-200"}})
        if password_matches(self._person(person_id).get("password_hash"), password):
            return {"person": person_id, "password": "unchanged"}   # the same password again changes nothing
        kept = caller.session if caller.id == person_id else None
        return self.uow.run(lambda tx: self._new_password(tx, person_id, PASSWORDS.hash(password), kept))

    def _new_password(self, tx, person_id, password_hash, kept):
        before = tx.find_one("people", {"_id": person_id})
        after = tx.replace("people", before, people.with_password(before, password_hash))
        tx.record("person.password", "people", person_id, people.for_audit(before), people.for_audit(after))
        ended = self._end_sessions(tx, person_id, kept, "password changed")
        tx.db.sign_in_attempts.delete_many({"person": person_id}, session=tx.session)
        return {"person": person_id, "password": "set", "sessions_ended": ended}

    @staticmethod
    def _end_sessions(tx, person_id, kept, why):
        """Revoke every open session of ``person_id`` but ``kept``, each with its audit entry."""
        now, ended = utcnow(), 0
        for before in list(tx.db.sessions.find({"person": person_id, "revoked_at": None, "_id": {"$ne": kept}},
                                               session=tx.session)):
            tx.record("logout", "session", before["_id"], before,
                      tx.replace("sessions", before, {**before, "revoked_at": now}), {"reason": why})
            ended += 1
        return ended

    def _person(self, person_id):
        person = self.db.people.find_one({"_id": person_id}) if isinstance(person_id, str) else None
        if person is None:
            raise Unauthenticated(WRONG_PASSWORD)
        return person

    def _may_sign_in(self, person):
        """Demo accounts sign in only when the platform runs in demo mode."""
        return person is not None and (not person.get("demo") or demo_mode(self.config))

    @rpc
    def sign_in_hash(self, person_id):
        """The gateway's first step of a sign-in: the hash to check the password against, or
        ``None`` when nobody may sign in with this id (unknown, or a demo account outside demo mode),
        and the gateway checks a dummy instead, so both look and take the same."""
        access.require_system(self.caller.require(), "check passwords")
        person = self.db.people.find_one({"_id": person_id}) if isinstance(person_id, str) else None
        return {"hash": person.get("password_hash") if self._may_sign_in(person) else None}

    @rpc
    def finish_sign_in(self, person_id, ok, address=None):
        """The gateway's second step: it checked the password (``ok``). Opens a session, or counts
        the failure for this account from this ``address``; five from one address lock that
        address out for 15 minutes, and only it."""
        access.require_system(self.caller.require(), "sign people in")
        address, now = str(address or "?")[:64], utcnow()
        self._refuse_if_locked(person_id, address, now)
        person = self.db.people.find_one({"_id": person_id})
        ok = ok is True and self._may_sign_in(person)
        sid = self.uow.as_actor(person_id).run(lambda tx: self._sign_in(tx, person_id, ok, now, address,
                                                                        person is not None))
        if sid is None:
            raise Unauthenticated(WRONG_PASSWORD)
        return {"session": sid, "person": people.without_account(public(person))}

    def _refuse_if_locked(self, person_id, address, now):
        if not isinstance(person_id, str) or not 1 <= len(person_id) <= 200:
            raise Unauthenticated(WRONG_PASSWORD)
        fresh = people.attempts(person_id, address)
        counted = self.db.sign_in_attempts.find_one({"_id": fresh["_id"]}) or fresh
        if people.locked(counted, now):
            raise TooManyAttempts("Too many wrong passwords from this address: try again after "
                                  f"{isoformat(counted['locked_until'])}.")

    def _sign_in(self, tx, person_id, ok, now, address, known):
        fresh = people.attempts(person_id, address)
        before = tx.find_one("sign_in_attempts", {"_id": fresh["_id"]})
        after = people.after_login(before or fresh, ok, now)
        tx.db.sign_in_attempts.replace_one({"_id": fresh["_id"]}, after, upsert=True, session=tx.session)
        if not ok and not known:
            return None   # counted (the same lock for any id), but the trail is of people's accounts
        if not ok:
            tx.record("login.failed", "people", person_id, None, None,
                      {"address": address, "locked": after["locked_until"] is not None})
            return None
        sid = uuid.uuid4().hex
        seconds = self.settings.security.refresh_token_seconds
        tx.insert("sessions", {"_id": sid, "person": person_id, "created_at": now, "revoked_at": None,
                               "expires_at": now + timedelta(seconds=seconds), "address": address})
        tx.record("login", "session", sid, None, {"person": person_id}, {"address": address})
        return sid

    def _session_of(self, sid, person_id):
        """Whether ``sid`` is an open session of ``person_id`` (a session id alone proves nothing)."""
        found = self.db.sessions.find_one({"_id": sid}) if isinstance(sid, str) else None
        return bool(found and found["person"] == person_id and found["revoked_at"] is None
                    and found["expires_at"] > utcnow())

    @rpc
    def session_active(self, sid, person_id):
        """For the gateway: whether a token's session is open and belongs to its subject."""
        access.require_system(self.caller.require(), "check sessions")
        return self._session_of(sid, person_id)

    @rpc
    def logout(self, sid):
        caller = self.caller.require()

        def work(tx):
            before = tx.find_one("sessions", {"_id": sid, "person": caller.id})
            if before is not None and before["revoked_at"] is None:
                after = tx.replace("sessions", before, {**before, "revoked_at": utcnow()})
                tx.record("logout", "session", sid, before, after)
            return {"session": sid, "revoked": True}
        return self.uow.run(work)

    # --- API tokens for machine clients (another system posting reports, say) ---------------

    def _api_token(self, digest=None, api_id=None):
        query = {"_id": digest} if isinstance(digest, str) else {"id": api_id} if isinstance(api_id, str) else None
        found = self.db.api_tokens.find_one(query) if query else None
        return found if found and found["revoked_at"] is None else None

    def _api_token_owner(self, digest=None, api_id=None):
        found = self._api_token(digest, api_id)
        return found["person"] if found else None

    @rpc
    def api_token_owner(self, digest):
        """For the gateway: whose the API token with this SHA-256 ``digest`` is, and its id (the
        token itself never crosses the bus)."""
        access.require_system(self.caller.require(), "resolve API tokens")
        found = self._api_token(digest=digest)
        if found is None:
            raise Unauthenticated("This API token is not valid (unknown or revoked).")
        return {"person": found["person"], "id": found["id"]}

    @rpc
    def create_api_token(self, person_id, name, digest):
        """A long-lived token for a machine acting as ``person_id``. The gateway makes it and shows it
        once; only its SHA-256 ``digest`` comes here and is kept."""
        access.require_admin(self.caller.require(), "issue API tokens")
        self._person(person_id)
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise ValidationFailed("Name the token (1 to 100 characters), e.g. the system that uses it.")
        if not isinstance(digest, str) or len(digest) != 64 or set(digest) - set("0123456789abcdef"):
            raise ValidationFailed("An API token is registered by its SHA-256 digest (64 hexadecimal digits).")
        return self.uow.run(lambda tx: self._issue(tx, person_id, name, digest))

    @staticmethod
    def _issue(tx, person_id, name, digest):
        record = tx.insert("api_tokens", {"_id": digest, "id": uuid.uuid4().hex[:12], "person": person_id,
                                          "name": name, "created_at": utcnow(), "revoked_at": None})
        tx.record("api_token.create", "api_token", record["id"], None, {"person": person_id, "name": name})
        return {"id": record["id"], "person": person_id, "name": name}

    @rpc
    def revoke_api_token(self, token_id):
        access.require_admin(self.caller.require(), "revoke API tokens")

        def work(tx):
            before = tx.find_one("api_tokens", {"id": token_id})
            if before is None:
                raise ValidationFailed(f"No API token has the id {token_id!r}.")
            tx.replace("api_tokens", before, {**before, "revoked_at": utcnow()})
            tx.record("api_token.revoke", "api_token", token_id, {"revoked": False}, {"revoked": True})
            return {"id": token_id, "revoked": True}
        return self.uow.run(work)

