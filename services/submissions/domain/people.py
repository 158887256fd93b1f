"""What of a person is public and what belongs to their account. Pure: no I/O.

Reference data (name, role, unit, e-mail...) is what an administrator loads and anyone in
the directory may see; the account fields are the platform's own and never leave the
service: not in an answer, an event or an audit fingerprint.
"""
from datetime import timedelta

ACCOUNT_FIELDS = ("password_hash", "failed_logins", "locked_until")
MAX_FAILED_LOGINS, LOCKOUT = 5, timedelta(minutes=15)  # five wrong passwords lock the account for 15 minutes


def without_account(person):
    """The person as the directory shows them."""
    return None if person is None else {k: v for k, v in person.items() if k not in ACCOUNT_FIELDS}


def for_audit(person):
    """What the audit fingerprints of a person: everything but the password's hash."""
    return None if person is None else {k: v for k, v in person.items() if k != "password_hash"}


def with_account_of(clean, before):
    """Reloaded reference data keeps the account the person already has."""
    return {**clean, **{k: before[k] for k in ACCOUNT_FIELDS if before and k in before}}


def locked(person, now):
    return bool(person.get("locked_until") and person["locked_until"] > now)


def after_login(person, ok, now):
    """The account after a sign-in attempt: a success clears the count, the fifth failure locks."""
    if ok:
        return {**person, "failed_logins": 0, "locked_until": None}
    failures = person.get("failed_logins", 0) + 1
    until = now + LOCKOUT if failures >= MAX_FAILED_LOGINS else None
    return {**person, "failed_logins": 0 if until else failures, "locked_until": until}


def with_password(person, password_hash):
    return {**person, "password_hash": password_hash, "failed_logins": 0, "locked_until": None}
