"""The channel registry: what is registered, enabled, chosen by people; a removed channel fails loudly."""
from datetime import datetime, timezone

import pytest

from services.notifications import channels
from services.notifications.channels import Happening, Registry

CONFIG = {"SMTP_HOST": "", "PUBLIC_URL": "https://thidua.example"}
HAPPENING = Happening("report.returned", {"report_id": "r1", "unit": "U03", "unit_name": "Phòng Hồ sơ",
                                          "cluster": "CUM-01", "cluster_name": "Cụm 1", "period": "2021-Q1",
                                          "reason": "Thiếu số liệu"}, "e1", "c1",
                      datetime(2021, 4, 1, tzinfo=timezone.utc))
PEOPLE = [{"id": "canbo.u03", "name": "Cán bộ", "email": "c@example.com"}, {"id": "lanhdao.u03", "name": "Lãnh đạo"}]


def test_the_platform_registers_the_inbox_e_mail_and_webhooks_and_people_choose_the_first_two():
    assert [c.name for c in channels.REGISTRY] == ["inbox", "email", "webhook"]
    assert channels.REGISTRY.personal() == ["inbox", "email"]


def test_e_mail_is_enabled_by_configuration_only():
    assert [c.name for c in channels.REGISTRY.enabled(CONFIG)] == ["inbox", "webhook"]
    assert [c.name for c in channels.REGISTRY.enabled({**CONFIG, "SMTP_HOST": "mail"})] == ["inbox", "email", "webhook"]


def test_a_name_is_registered_once():
    registry = Registry([channels.Inbox()])
    with pytest.raises(ValueError, match="inbox"):
        registry.register(channels.Inbox())
    registry.unregister("inbox")
    assert list(registry) == []


def test_each_channel_makes_its_notices():
    inbox, email, webhook = (channels.REGISTRY.get(n) for n in ("inbox", "email", "webhook"))
    assert [r for r, _ in inbox.notices(HAPPENING, PEOPLE, None, CONFIG)] == ["canbo.u03", "lanhdao.u03"]
    mails = list(email.notices(HAPPENING, PEOPLE, None, CONFIG))
    assert [(r, f["to"]) for r, f in mails] == [("canbo.u03", "c@example.com")]   # only people with an address
    text = mails[0][1]["text"]
    assert "Lý do: Thiếu số liệu" in text and "https://thidua.example/api/v1/reports/r1" in text
    hooks = [{"_id": "h1", "url": "http://a", "kinds": ["*"]},
             {"_id": "h2", "url": "http://b", "kinds": ["vote.opened"]}]
    made = list(webhook.notices(HAPPENING, PEOPLE, hooks, CONFIG))
    assert [r for r, _ in made] == ["webhook:h1"] and made[0][1]["payload"]["kind"] == "report.returned"


def test_a_queued_notice_whose_channel_is_gone_fails_with_the_reason():
    missing = channels.for_notice({"_id": "n1", "channel": "pigeon"})
    with pytest.raises(channels.DeliveryFailed, match="no channel named 'pigeon'"):
        missing.deliver({"_id": "n1"}, CONFIG, None)
    assert channels.for_notice({"channel": "email"}) is channels.REGISTRY.get("email")


def test_e_mail_without_an_smtp_server_fails_with_the_reason():
    with pytest.raises(channels.DeliveryFailed, match="SMTP_HOST"):
        channels.REGISTRY.get("email").deliver({"_id": "n1", "to": "a@b", "to_name": "A", "subject": "s",
                                                "text": "t"}, CONFIG, None)
