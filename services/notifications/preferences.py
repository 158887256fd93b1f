"""A person's choice, per notification kind, of the channels that reach them. Pure: no I/O.

Stored: ``{"_id": person, "channels": {kind: [channel, ...]}, "language": "vi"}`` with only the
kinds the person changed; every other kind has the rules table's defaults. The inbox is
always on (it is the record the pages show). The first shape, ``{"email": bool, "muted":
[kinds]}``, is still read (and accepted in a change): ``email: false`` takes e-mail off
every kind, ``muted`` takes it off those kinds. A change is always written in the new shape.
"""
from services.notifications.rules import KINDS, default_channels
from thidua.errors import Problems, ValidationFailed

ALWAYS = "inbox"
EMAIL = "email"
FIELDS = ("channels", "email", "muted", "language")


def effective(stored, personal):
    """``{kind: [channels]}`` for every kind, from a stored document of either shape (or ``None``).
    ``personal`` are the names of the registered channels people can choose."""
    stored = stored or {}
    chosen = {kind: [c for c in default_channels(kind) if c in personal] for kind in KINDS}
    if stored.get("email") is False:
        chosen = {kind: [c for c in names if c != EMAIL] for kind, names in chosen.items()}
    for kind in stored.get("muted", []):
        if kind in chosen:
            chosen[kind] = [c for c in chosen[kind] if c != EMAIL]
    for kind, names in (stored.get("channels") or {}).items():
        if kind in chosen:
            chosen[kind] = _ordered(names, personal)
    return chosen


def _ordered(names, personal):
    """The chosen channels in registry order, the inbox always among them, unknown ones left out
    (a channel that was removed from the platform)."""
    wanted = set(names) | {ALWAYS}
    return [c for c in personal if c in wanted]


def legacy(chosen):
    """The first shape's ``email`` and ``muted`` (kinds that send e-mail by default but not to this
    person), for readers of the first shape."""
    email = any(EMAIL in names for names in chosen.values())
    muted = [kind for kind, names in chosen.items() if EMAIL not in names and EMAIL in default_channels(kind)]
    return email, sorted(muted) if email else []


def problems(payload, personal, known_kinds):
    """``[(field, what to fix)]`` for a change of preferences."""
    found = [(key, "unknown field") for key in sorted(set(payload) - set(FIELDS))]
    if "email" in payload and not isinstance(payload["email"], bool):
        found.append(("email", "true or false"))
    muted = payload.get("muted", [])
    if not isinstance(muted, list) or any(k not in known_kinds for k in muted):
        found.append(("muted", f"a list of kinds among {', '.join(sorted(known_kinds))}"))
    channels = payload.get("channels", {})
    if not isinstance(channels, dict):
        found.append(("channels", "an object: kind -> list of channels"))
    else:
        for kind, names in sorted(channels.items()):
            if kind not in KINDS:
                found.append((f"channels.{kind}", f"a kind among {', '.join(sorted(KINDS))}"))
            elif not isinstance(names, list) or any(n not in personal for n in names):
                found.append((f"channels.{kind}", f"a list of channels among {', '.join(personal)}"))
    language = payload.get("language", "vi")
    if not isinstance(language, str) or len(language) > 10:
        found.append(("language", "a language code such as vi"))
    return found


def check(payload, personal, known_kinds):
    """Raise :class:`ValidationFailed` naming every wrong field of a change, with what to fix."""
    if not isinstance(payload, dict):
        raise ValidationFailed("Preferences are a JSON object: {channels: {kind: [channels]}, language}.")
    found = Problems()
    for field, fix in problems(payload, personal, known_kinds):
        found.add(field, fix)
    found.raise_if_any("The preferences")


def changed(stored, payload, personal):
    """The document to store after ``payload`` (already checked) is applied to ``stored``."""
    chosen = effective(stored, personal)
    if "email" in payload or "muted" in payload:
        email, muted = legacy(chosen)
        email, muted = payload.get("email", email), payload.get("muted", muted)
        for kind, names in chosen.items():
            keep = email and kind not in muted and (EMAIL in names or EMAIL in default_channels(kind))
            chosen[kind] = _ordered([n for n in names if n != EMAIL] + ([EMAIL] if keep else []), personal)
    for kind, names in payload.get("channels", {}).items():
        chosen[kind] = _ordered(names, personal)
    defaults = effective(None, personal)
    language = payload.get("language", (stored or {}).get("language", "vi"))
    return {"channels": {k: v for k, v in chosen.items() if v != defaults[k]}, "language": language}


def shown(person, stored, personal, languages):
    """What ``GET .../preferences`` answers."""
    chosen = effective(stored, personal)
    email, muted = legacy(chosen)
    return {"person": person, "channels": chosen, "available_channels": list(personal), "email": email,
            "muted": muted, "language": (stored or {}).get("language", "vi"), "languages": list(languages)}
