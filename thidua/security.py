"""What a service checks about its own configuration before it takes any request.

Secrets are required, never defaulted: outside demo mode no service starts with a missing,
default, short or guessable ``TOKEN_SECRET`` or ``SERVICE_SECRET`` (nor with one secret for both), whatever ``THIDUA_ENV`` says. Demo mode is explicit
(``DEMO_MODE=true``), never allowed in production, and binds the gateway to loopback only unless
the operator says otherwise (``DEMO_ALLOW_REMOTE=true``). In production the broker and the
database must be reached with credentials of their own, not the defaults anyone knows.
"""
import math
import secrets
from collections import Counter
from ipaddress import ip_address
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from nameko.extensions import DependencyProvider

from thidua.signing import PRODUCERS, key_name
from thidua.settings import DEFAULT_SECRET, DEFAULT_SERVICE_SECRET, Security, given

MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128            # estimated from the characters' spread: 'a' * 32 has none
KNOWN_BROKER_LOGINS = {("guest", "guest"), ("thidua", "thidua")}


PASSWORDS = PasswordHasher()          # argon2id, memory-hard
# Checked when there is no hash to check (an unknown id, a demo account outside demo mode), so
# every failed sign-in costs the same work and takes the same time.
_NOBODY = PASSWORDS.hash(secrets.token_urlsafe(32))


def password_matches(password_hash, password):
    """Whether ``password`` is the one ``password_hash`` was made from; with no hash, the same work
    and no."""
    try:
        return PASSWORDS.verify(password_hash or _NOBODY, password if isinstance(password, str) else "") \
            and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def demo_mode(config):
    return Security.of(config).demo_mode


def production(config):
    return Security.of(config).env.strip().lower() == "production"


def secret_bits(secret):
    """A rough estimate of a secret's entropy: its length times the Shannon entropy of its
    characters. A generated secret (``python -m scripts.secrets``) has several hundred bits."""
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values()) if secret else 0.0
    return per_char * len(secret)


def secret_problem(name, secret):
    """Why ``secret`` may not sign anything outside demo mode, or ``None``."""
    secret = str(secret or "")
    if not secret:
        return f"{name} is not set; generate one with `python -m scripts.secrets` (or `make secrets`)"
    if secret in (DEFAULT_SECRET, DEFAULT_SERVICE_SECRET):
        return f"{name} is the development default; generate one with `python -m scripts.secrets`"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"{name} has {len(secret)} characters; it needs at least {MIN_SECRET_LENGTH}"
    if secret_bits(secret) < MIN_SECRET_BITS:
        return f"{name} is too predictable (about {secret_bits(secret):.0f} bits); generate a random one"
    return None


def is_loopback(host):
    host = (host or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def problems(config, events=False, ballots=False):
    """Everything wrong with ``config`` for a service about to start (empty when it may);
    ``events``: the service publishes or consumes events, so it needs the producers' keys;
    ``ballots``: it seals or opens secret ballots, so it needs ``BALLOT_SEAL_KEY``."""
    found = []
    demo = demo_mode(config)
    # Each secret, and whether a demo needs it too (the two signing secrets have demo defaults;
    # keys have none, so a demo needs them set, of any strength).
    secrets = [(key_name(source), True) for source in PRODUCERS] if events else []
    secrets += [("BALLOT_SEAL_KEY", True)] if ballots else []
    secrets += [("TOKEN_SECRET", False), ("SERVICE_SECRET", False)]
    for name, demo_needs_it in secrets:
        value = given(config, name)
        if demo and (value or not demo_needs_it):
            continue
        problem = secret_problem(name, value)
        if problem:
            found.append(problem)
    if production(config) and demo:
        found.append("THIDUA_ENV=production cannot run with DEMO_MODE=true")
    if not demo:
        if given(config, "TOKEN_SECRET") and given(config, "TOKEN_SECRET") == given(config, "SERVICE_SECRET"):
            # a person's token must never pass for a credential of the bus, whatever the audience says
            found.append("SERVICE_SECRET must differ from TOKEN_SECRET; generate each with `python -m scripts.secrets`")
    address = config.get("WEB_SERVER_ADDRESS")
    if demo and address and not Security.of(config).demo_allow_remote:
        host = str(address).rsplit(":", 1)[0]
        if not is_loopback(host):
            found.append(f"demo mode listens on loopback only, not {address!r}: set GATEWAY_ADDRESS=127.0.0.1:8080, "
                         "or DEMO_ALLOW_REMOTE=true if a demo really must be reachable from other machines")
    if production(config):
        found.extend(_credential_problems(config))
    return found


def _credential_problems(config):
    found = []
    broker = urlsplit(str(config.get("AMQP_URI") or ""))
    if (broker.username or "guest", broker.password or "guest") in KNOWN_BROKER_LOGINS:
        found.append("AMQP_URI uses a default RabbitMQ login; give the platform a user and password of its own")
    database = urlsplit(str(config.get("MONGO_URI") or ""))
    if "MONGO_URI" in config and not database.username:
        found.append("MONGO_URI has no user: run MongoDB with authentication and put its credentials in the URI")
    return found


class StartupChecks(DependencyProvider):
    """Refuses to start a service whose configuration fails :func:`problems`."""

    def __init__(self, events=False, ballots=False):
        self.events, self.ballots = events, ballots

    def setup(self):
        found = problems(self.container.config, self.events, self.ballots)
        if found:
            raise RuntimeError("refusing to start: " + "; ".join(found))
