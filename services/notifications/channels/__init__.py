"""Notification channels: one registry, one module per channel.

A channel is a module implementing :class:`base.Channel` (``docs/extending-channels.md``)
and one line in :data:`REGISTRY` below. The recording and the delivery loop ask the
registry; nothing else names a channel.
"""
from services.notifications.channels import base
from services.notifications.channels.base import Channel, DeliveryFailed, Happening
from services.notifications.channels.inbox import Inbox
from services.notifications.channels.mail import Email, Smtp
from services.notifications.channels.webhook import SIGNATURE_HEADER, Webhook, sign, verify

__all__ = ["Channel", "DeliveryFailed", "Happening", "Registry", "REGISTRY", "for_notice", "Smtp",
           "SIGNATURE_HEADER", "sign", "verify"]


class Registry:
    """The channels the platform knows, in the order notices are recorded."""

    def __init__(self, channels=()):
        self._channels = {}
        for channel in channels:
            self.register(channel)

    def register(self, channel):
        if channel.name in self._channels:
            raise ValueError(f"a channel named {channel.name!r} is already registered")
        self._channels[channel.name] = channel
        return channel

    def unregister(self, name):
        self._channels.pop(name, None)

    def get(self, name):
        return self._channels.get(name)

    def __iter__(self):
        return iter(list(self._channels.values()))

    def enabled(self, config):
        return [c for c in self if c.enabled(config)]

    def personal(self):
        """Names of the channels people choose per kind (preferences)."""
        return [c.name for c in self if c.personal]


REGISTRY = Registry([Inbox(), Email(), Webhook()])


class Missing:
    """Stands for the channel of a queued notice that no module registers any more (removed from
    the platform): every attempt fails, so the notice ends in the failed list, not in silence."""
    personal = False

    def __init__(self, name):
        self.name = name

    def deliver(self, notice, config, db):
        raise DeliveryFailed(f"no channel named {self.name!r} is registered")

    def report_failure(self, notice, attempts, error):
        base.log.error("notice %s (%s) failed %s times: %s", notice["_id"], self.name, attempts, error)


def for_notice(notice):
    """The channel that delivers ``notice``."""
    return REGISTRY.get(notice["channel"]) or Missing(notice["channel"])
