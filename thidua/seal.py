"""Sealing: authenticated encryption from the standard library alone. Pure: no I/O.

A sealed value is ``nonce || ciphertext || tag`` in URL-safe base64. The plaintext, padded to a
multiple of :data:`BLOCK` bytes so its length says little, is XORed with a keystream of
HMAC-SHA256(enc_key, nonce || counter) blocks (HMAC as a pseudo-random function in counter
mode); the tag is HMAC-SHA256(mac_key, context || nonce || ciphertext) (encrypt-then-MAC). Both
keys are derived from one configured secret. ``context`` binds a sealed value to where it may be
opened (a vote, a ballot token), so a value copied elsewhere does not open.

Used for secret ballots: on the bus between the gateway and the submissions service, and at rest
in the ballot box until the vote is closed (docs/security.md, "Secret ballots").
"""
import base64
import hashlib
import hmac
import json
import secrets

NONCE = 16
TAG = 32
BLOCK = 512


class Unsealable(ValueError):
    """Not sealed with this key for this context, or altered."""


def _keys(key):
    secret = key.encode() if isinstance(key, str) else key
    if not secret:
        raise ValueError("no sealing key")
    return (hmac.new(secret, b"thidua-seal-encrypt", hashlib.sha256).digest(),
            hmac.new(secret, b"thidua-seal-authenticate", hashlib.sha256).digest())


def _keystream(enc_key, nonce, length):
    blocks = (hmac.new(enc_key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest()
              for i in range((length + 31) // 32))
    return b"".join(blocks)[:length]


def _tag(mac_key, context, nonce, ciphertext):
    framed = len(context.encode()).to_bytes(4, "big") + context.encode() + nonce + ciphertext
    return hmac.new(mac_key, framed, hashlib.sha256).digest()


def seal(key, plaintext, context, nonce):
    """``plaintext`` (bytes) sealed for ``context``; ``nonce``: :data:`NONCE` fresh random bytes."""
    if len(nonce) != NONCE:
        raise ValueError(f"the nonce is {NONCE} random bytes")
    enc_key, mac_key = _keys(key)
    framed = len(plaintext).to_bytes(4, "big") + plaintext
    framed += bytes(-len(framed) % BLOCK)
    ciphertext = bytes(a ^ b for a, b in zip(framed, _keystream(enc_key, nonce, len(framed))))
    return base64.urlsafe_b64encode(nonce + ciphertext + _tag(mac_key, context, nonce, ciphertext)).decode()


def unseal(key, sealed, context):
    """The plaintext of ``sealed``; :class:`Unsealable` unless it was sealed with ``key`` for ``context``."""
    enc_key, mac_key = _keys(key)
    try:
        raw = base64.urlsafe_b64decode(sealed.encode() if isinstance(sealed, str) else sealed)
    except (ValueError, TypeError, AttributeError):
        raise Unsealable("not a sealed value") from None
    if len(raw) < NONCE + TAG + BLOCK:
        raise Unsealable("not a sealed value")
    nonce, ciphertext, tag = raw[:NONCE], raw[NONCE:-TAG], raw[-TAG:]
    if not hmac.compare_digest(tag, _tag(mac_key, context, nonce, ciphertext)):
        raise Unsealable("not sealed with this key for this use, or altered")
    framed = bytes(a ^ b for a, b in zip(ciphertext, _keystream(enc_key, nonce, len(ciphertext))))
    length = int.from_bytes(framed[:4], "big")
    return framed[4:4 + length]


def mac(key, *parts):
    """A keyed fingerprint of ``parts`` (hex): equal for equal parts, unguessable without the key."""
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


# Where a secret ballot is sealed (the gateway and the submissions service must agree).
def ballot_in_transit(cluster_code, period_code, token):
    """A ballot on its way from the gateway: it opens only with the token it came with."""
    return f"ballot|{cluster_code}|{period_code}|{token}"


def seal_ballot(key, cluster_code, period_code, token, ballot):
    """A ballot (its choices) sealed for its token, as the gateway sends it to be cast."""
    return seal(key, json.dumps(ballot).encode(), ballot_in_transit(cluster_code, period_code, token),
                secrets.token_bytes(NONCE))


def ballot_in_box(session_id):
    """A ballot resting in a vote's ballot box."""
    return f"ballot-box|{session_id}"
