"""Preferences per kind and channel, and the first shape ({email, muted}) still read: pure."""
from services.notifications import messages, preferences, rules

PERSONAL = ["inbox", "email"]


def test_without_a_choice_every_kind_has_the_tables_defaults():
    chosen = preferences.effective(None, PERSONAL)
    assert set(chosen) == set(rules.KINDS)
    assert chosen["report.submitted"] == ["inbox", "email"] and chosen["digest"] == ["inbox"]


def test_the_first_shape_is_read_email_off_everywhere_or_for_muted_kinds():
    off = preferences.effective({"_id": "p", "email": False}, PERSONAL)
    assert all(names == ["inbox"] for names in off.values())
    muted = preferences.effective({"_id": "p", "email": True, "muted": ["report.submitted", "ranking.updated"]},
                                  PERSONAL)
    assert muted["report.submitted"] == ["inbox"] and muted["report.returned"] == ["inbox", "email"]
    assert preferences.legacy(muted) == (True, ["report.submitted"])
    assert preferences.legacy(preferences.effective(None, PERSONAL)) == (True, [])
    assert preferences.legacy(off) == (False, [])


def test_a_change_is_written_in_the_new_shape_with_only_what_differs_from_the_defaults():
    old = {"_id": "p", "email": True, "muted": ["vote.opened"], "language": "vi"}
    after = preferences.changed(old, {"channels": {"digest": ["email"]}}, PERSONAL)
    assert after == {"channels": {"vote.opened": ["inbox"], "digest": ["inbox", "email"]}, "language": "vi"}
    assert preferences.effective(after, PERSONAL)["digest"] == ["inbox", "email"]   # the inbox is always on


def test_the_first_shapes_fields_still_change_e_mail():
    after = preferences.changed(None, {"email": False}, PERSONAL)
    assert preferences.legacy(preferences.effective(after, PERSONAL)) == (False, [])
    back = preferences.changed(after, {"email": True, "muted": ["report.returned"]}, PERSONAL)
    chosen = preferences.effective(back, PERSONAL)
    assert chosen["report.returned"] == ["inbox"] and chosen["report.submitted"] == ["inbox", "email"]
    assert chosen["digest"] == ["inbox"]                  # e-mail on means the kinds that send e-mail by default
    assert preferences.changed(back, {"muted": []}, PERSONAL)["channels"] == {}


def test_a_channel_no_longer_registered_is_left_out_of_what_a_person_gets():
    stored = {"channels": {"report.submitted": ["inbox", "sms"]}}
    assert preferences.effective(stored, PERSONAL)["report.submitted"] == ["inbox"]
    assert preferences.effective(stored, PERSONAL + ["sms"])["report.submitted"] == ["inbox", "sms"]


def test_each_wrong_field_is_named_with_what_to_fix():
    found = dict(preferences.problems({"email": "yes", "muted": ["everything"], "channels": {
        "report.submitted": ["pigeon"], "gossip": ["inbox"]}, "colour": "red", "language": 5}, PERSONAL,
        messages.TEMPLATES))
    assert set(found) == {"email", "muted", "channels.report.submitted", "channels.gossip", "colour", "language"}
    assert "inbox, email" in found["channels.report.submitted"]
    assert preferences.problems({"channels": []}, PERSONAL, messages.TEMPLATES)[0][0] == "channels"
    assert preferences.problems({"channels": {"digest": ["email"]}, "muted": []}, PERSONAL, messages.TEMPLATES) == []


def test_what_get_shows():
    shown = preferences.shown("p", {"email": False, "language": "en"}, PERSONAL, messages.LANGUAGES)
    assert shown["email"] is False and shown["muted"] == [] and shown["language"] == "en"
    assert shown["available_channels"] == PERSONAL and shown["channels"]["vote.closed"] == ["inbox"]
