"""Alert channels: one class per kind, looked up in a plain registry."""

from .base import Channel, ChannelError
from .email import EmailChannel
from .sms import ConsoleSmsChannel

CHANNELS: dict[str, type[Channel]] = {
    "email": EmailChannel,
    "sms": ConsoleSmsChannel,
}


def channel_for(kind: str) -> Channel:
    return CHANNELS[kind]()


__all__ = ["CHANNELS", "Channel", "ChannelError", "channel_for"]
