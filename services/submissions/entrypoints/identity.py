"""Identity: who a caller is (:func:`resolve`), accounts and their passwords, sessions, and the
API tokens of machine clients."""
import hashlib
import time
import uuid
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.submissions.domain import access, people
from thidua import tokens
from thidua.caller import SYSTEM_ROLE, Caller
from thidua.errors import TooManyAttempts, Unauthenticated, ValidationFailed
from thidua.events import isoformat, utcnow
from thidua.mongo import public
from thidua.rpc import rpc
from thidua.security import demo_mode
from thidua.settings import Security

PASSWORDS = PasswordHasher()          # argon2id, memory-hard
SYSTEM_PREFIX = "system:"
WRONG_PASSWORD = "Wrong person id or password."


def resolve(service, credential):
    """The person behind a credential, as this service knows them, never as the caller claims.

    Outside demo mode a person comes with their signed access token (the gateway passes it
    along) or a machine client's API token, so a call that bypasses the gateway cannot act for
    anyone else. ``system:`` callers are the operators' own tools, which hold the broker's
    credentials."""
    person_id = credential.get("id")
    if not person_id:
        raise Unauthenticated("Sign in first (POST /api/v1/auth/login) and send the access token.")
    if person_id.startswith(SYSTEM_PREFIX):
        return Caller(person_id, SYSTEM_ROLE)
    session = None
    if credential.get("api_token"):
        if service._api_token_owner(credential["api_token"]) != person_id:
            raise Unauthenticated("This API token is not valid (unknown or revoked).")
    elif not demo_mode(service.config):
        try:
            claims = tokens.verify(Security.of(service.config).token_secret, credential.get("token"), "access",
                                   time.time())
        except tokens.TokenInvalid:
            raise Unauthenticated("A signed access token is required; sign in again.")
        if claims["sub"] != person_id or not service.session_active(claims["sid"]):
            raise Unauthenticated("The access token does not belong to this caller or its session has ended.")
        session = claims["sid"]
    person = service.db.people.find_one({"_id": person_id})
    if person is None:
        raise Unauthenticated(f"No person has the id {person_id!r}.")
    return Caller(person["_id"], person["role"], person.get("unit"), session)


def _password_matches(person, password):
    try:
        return PASSWORDS.verify(person.get("password_hash") or "", password if isinstance(password, str) else "")
    except (VerificationError, InvalidHashError):
        return False


class Identity:
    @rpc
    def whois(self):
        """The checked caller, for the other services."""
        return {**self.caller.require().as_dict(), "session": self.caller.session}

    @rpc
    def set_password(self, person_id, password):
        """A person's password (argon2id); set by the person, an administrator or the demo loader."""
        access.require_password_setter(self.caller.require(), person_id)
        if not isinstance(password, str) or not 10 <= len(password) <= 200:
            raise ValidationFailed("A password has 10 to 200 characters.", {"fields": {"password": "10-200"}})
        if _password_matches(self._person(person_id), password):
            return {"person": person_id, "password": "unchanged"}   # the same password again changes nothing

        def work(tx):
            before = tx.find_one("people", {"_id": person_id})
            after = tx.replace("people", before, people.with_password(before, PASSWORDS.hash(password)))
            tx.record("person.password", "people", person_id, people.for_audit(before), people.for_audit(after))
            return {"person": person_id, "password": "set"}
        return self.uow.run(work)

    def _person(self, person_id):
        person = self.db.people.find_one({"_id": person_id}) if isinstance(person_id, str) else None
        if person is None:
            raise Unauthenticated(WRONG_PASSWORD)
        return person

    @rpc
    def login(self, person_id, password, address=None):
        """Check a person's password; on success open a session and return it. Five wrong
        passwords lock the account for 15 minutes; demo accounts work only in demo mode."""
        person, now = self._person(person_id), utcnow()
        if people.locked(person, now):
            raise TooManyAttempts("Too many wrong passwords: the account is locked until "
                                  f"{isoformat(person['locked_until'])}.")
        if person.get("demo") and not demo_mode(self.config):
            raise Unauthenticated("Demo accounts can sign in only when the platform runs in demo mode.")
        ok = _password_matches(person, password)
        sid = self.uow.as_actor(person["_id"]).run(lambda tx: self._sign_in(tx, person["_id"], ok, now, address))
        if sid is None:
            raise Unauthenticated(WRONG_PASSWORD)
        return {"session": sid, "person": people.without_account(public(person))}

    def _sign_in(self, tx, person_id, ok, now, address):
        before = tx.find_one("people", {"_id": person_id})
        after = people.after_login(before, ok, now)
        sid = uuid.uuid4().hex if ok else None
        if ok:
            seconds = Security.of(self.config).refresh_token_seconds
            tx.insert("sessions", {"_id": sid, "person": person_id, "created_at": now, "revoked_at": None,
                                   "expires_at": now + timedelta(seconds=seconds), "address": address})
            tx.record("login", "session", sid, None, {"person": person_id}, {"address": address})
        else:
            tx.record("login.failed", "people", person_id, None, None,
                      {"address": address, "locked": after["locked_until"] is not None})
        tx.replace("people", before, after)
        return sid

    @rpc
    def session_active(self, sid):
        found = self.db.sessions.find_one({"_id": sid}) if isinstance(sid, str) else None
        return bool(found and found["revoked_at"] is None and found["expires_at"] > utcnow())

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
    def create_api_token(self, person_id, name):
        """A long-lived token for a machine acting as ``person_id``; shown once, stored as a hash."""
        access.require_admin(self.caller.require(), "issue API tokens")
        self._person(person_id)
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise ValidationFailed("Name the token (1 to 100 characters), e.g. the system that uses it.")
        token = "tdk_" + uuid.uuid4().hex + uuid.uuid4().hex
        return {**self.uow.run(lambda tx: self._issue(tx, person_id, name, token)), "token": token}

    @staticmethod
    def _issue(tx, person_id, name, token):
        record = tx.insert("api_tokens", {"_id": hashlib.sha256(token.encode()).hexdigest(),
                                          "id": uuid.uuid4().hex[:12], "person": person_id, "name": name,
                                          "created_at": utcnow(), "revoked_at": None})
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

