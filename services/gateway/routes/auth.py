"""Signing in and out, tokens, passwords, and who the caller is."""
import time
from collections import defaultdict, deque

from services.gateway.api import API, call
from services.gateway.entrypoint import route
from thidua import tokens
from thidua.caller import as_system, vouch
from thidua.security import password_matches
from thidua.errors import DomainError, InvalidToken, RateLimited, Unauthenticated

_login_attempts = defaultdict(deque)   # address -> times of recent login attempts (this process)


def throttle(address, per_minute):
    """Refuse a sign-in beyond ``per_minute`` attempts from one address in the last minute."""
    recent = _login_attempts[address]
    now = time.monotonic()
    while recent and now - recent[0] > 60:
        recent.popleft()
    if len(recent) >= per_minute:
        raise RateLimited("Too many sign-in attempts from this address; wait a minute.")
    recent.append(now)


class Auth:

    def credential(self, request):
        """Who the caller is, checked here, as it travels on the bus: for the person of a valid
        access token (of a session still open and theirs) or API token, an assertion signed with
        ``SERVICE_SECRET`` for a minute (``thidua.caller.vouch``), never the token itself; in demo
        mode, the person the ``X-Actor`` header names; otherwise nobody (the services refuse changes).
        A bad token is refused here, 401 INVALID_TOKEN."""
        header, address = request.headers.get("Authorization", ""), request.remote_addr
        secret = self.settings.security.service_secret
        if header.startswith("Bearer tdk_"):   # a machine client's API token: only its digest is sent
            digest = tokens.api_token_digest(header[7:].strip())
            self.forward_caller(self._as_gateway())
            try:
                owner = call(self.submissions.api_token_owner, digest)
            except DomainError:
                raise InvalidToken("This API token is not valid (unknown or revoked).")
            return vouch(secret, owner["person"], api_token=owner["id"], address=address)
        if header.startswith("Bearer "):
            claims = self._claims(header[7:].strip(), "access", "The access token is not valid (altered, "
                                  "expired or not for this API); sign in again.")
            return vouch(secret, claims["sub"], session=claims["sid"], address=address)
        named = request.headers.get("X-Actor") if self.settings.security.demo_mode else None
        return {"id": named, "address": address}

    def _as_gateway(self):
        """The gateway's own credential, for what it asks as a service (sessions, sign-in)."""
        return as_system("gateway", self.config, ttl_seconds=60)

    def _claims(self, token, kind, refusal):
        """The claims of a valid token of a session still open and the token's person's, else 401
        INVALID_TOKEN."""
        try:
            claims = tokens.verify(self.settings.security.token_secret, token, kind, time.time())
        except tokens.TokenInvalid:
            raise InvalidToken(refusal)
        self.forward_caller(self._as_gateway())
        if not call(self.submissions.session_active, claims["sid"], claims["sub"]):
            raise InvalidToken("This session has ended; sign in again.")
        return claims

    def _tokens(self, person, session):
        now, security = time.time(), self.settings.security
        secret, access = security.token_secret, security.access_token_seconds
        return {"access_token": tokens.issue(secret, person, session, "access", now, access),
                "refresh_token": tokens.issue(secret, person, session, "refresh", now,
                                              security.refresh_token_seconds),
                "token_type": "Bearer", "expires_in": access}

    @route("POST", f"{API}/auth/login", body="Login", public=True)
    def login(self, request, body):
        """The password is checked here, against the hash submissions keeps (or a dummy, with the
        same work, when the id cannot sign in), so it never crosses the bus; submissions then opens
        the session or counts the failure."""
        address = request.remote_addr or "?"
        throttle(address, self.settings.gateway.login_attempts_per_minute)
        self.forward_caller(self._as_gateway())
        stored = call(self.submissions.sign_in_hash, body["person"])
        ok = password_matches(stored["hash"], body["password"])
        signed_in = call(self.submissions.finish_sign_in, body["person"], ok, address)
        return {**self._tokens(body["person"], signed_in["session"]), "person": signed_in["person"]}

    @route("POST", f"{API}/auth/refresh", body="Refresh", public=True)
    def refresh(self, request, body):
        claims = self._claims(body["refresh_token"], "refresh", "The refresh token is not valid; sign in again.")
        return self._tokens(claims["sub"], claims["sid"])

    @route("POST", f"{API}/auth/logout", body="Empty", caller=False)   # checks its own token
    def logout(self, request, body):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header.startswith("Bearer tdk_"):
            raise Unauthenticated("Sign out with the access token of the session to end.")
        claims = self._claims(header[7:].strip(), "access", "The access token is not valid; sign in again.")
        self.forward_caller(vouch(self.settings.security.service_secret, claims["sub"], session=claims["sid"],
                                  address=request.remote_addr))
        return call(self.submissions.logout, claims["sid"])

    @route("POST", f"{API}/api-tokens", body="ApiToken", status=201, caller=True)
    def create_api_token(self, request, body):
        token = tokens.new_api_token()   # made and shown here: only its digest crosses the bus
        issued = call(self.submissions.create_api_token, body["person"], body["name"], tokens.api_token_digest(token))
        return {**issued, "token": token}

    @route("POST", f"{API}/api-tokens/<string:token_id>/revoke", body="Empty", caller=True)
    def revoke_api_token(self, request, token_id, body):
        return call(self.submissions.revoke_api_token, token_id)

    @route("PUT", f"{API}/people/<string:person>/password", body="Password", caller=True)
    def set_password(self, request, person, body):
        return call(self.submissions.set_password, person, body["password"])

    @route("GET", f"{API}/me", caller=True)
    def whoami(self, request):
        """The signed-in person and the clusters their unit takes part in."""
        return call(self.submissions.me)
