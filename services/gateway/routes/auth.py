"""Signing in and out, tokens, passwords, and who the caller is."""
import time
from collections import defaultdict, deque

from services.gateway.api import API, call
from services.gateway.entrypoint import route
from thidua import tokens
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
        """Who the caller says they are, checked as far as the gateway can: the person of a valid
        access token (of a session still open) or API token; in demo mode, the ``X-Actor`` header
        may name them instead; otherwise nobody (the services refuse changes). A bad token is
        refused here, 401 INVALID_TOKEN; the services resolve the rest (``thidua.caller``)."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer tdk_"):   # a machine client's API token
            token = header[7:].strip()
            try:
                return {"id": call(self.submissions.api_token_owner, token), "api_token": token,
                        "address": request.remote_addr}
            except DomainError:
                raise InvalidToken("This API token is not valid (unknown or revoked).")
        if header.startswith("Bearer "):
            claims = self._claims(header[7:].strip(), "access", "The access token is not valid (altered, "
                                  "expired or not for this API); sign in again.")
            return {"id": claims["sub"], "session": claims["sid"], "token": header[7:].strip(),
                    "address": request.remote_addr}
        named = request.headers.get("X-Actor") if self.settings.security.demo_mode else None
        return {"id": named, "address": request.remote_addr}

    def _claims(self, token, kind, refusal):
        """The claims of a valid token of a session still open, else 401 INVALID_TOKEN."""
        try:
            claims = tokens.verify(self.settings.security.token_secret, token, kind, time.time())
        except tokens.TokenInvalid:
            raise InvalidToken(refusal)
        if not call(self.submissions.session_active, claims["sid"]):
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
        address = request.remote_addr or "?"
        throttle(address, self.settings.gateway.login_attempts_per_minute)
        signed_in = call(self.submissions.login, body["person"], body["password"], address)
        return {**self._tokens(body["person"], signed_in["session"]), "person": signed_in["person"]}

    @route("POST", f"{API}/auth/refresh", body="Refresh", public=True)
    def refresh(self, request, body):
        claims = self._claims(body["refresh_token"], "refresh", "The refresh token is not valid; sign in again.")
        return self._tokens(claims["sub"], claims["sid"])

    @route("POST", f"{API}/auth/logout", body="Empty", caller=False)   # checks its own token
    def logout(self, request, body):
        me = self.credential(request)
        if not me.get("session"):
            raise Unauthenticated("Sign out with the access token of the session to end.")
        self.forward_caller(me)
        return call(self.submissions.logout, me["session"])

    @route("POST", f"{API}/api-tokens", body="ApiToken", status=201, caller=True)
    def create_api_token(self, request, body):
        return call(self.submissions.create_api_token, body["person"], body["name"])

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
