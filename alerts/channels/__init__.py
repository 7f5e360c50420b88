"""Alert channels: one class per kind, looked up in a plain registry."""

from .base import Channel, ChannelError, Message
from .email import EmailChannel
from .sms import sms_channel
from .webhook import WebhookChannel

CHANNELS = {
    "email": lambda contact: EmailChannel(),
    "sms": lambda contact: sms_channel(),
    "webhook": lambda contact: WebhookChannel(contact.webhook_secret),
}


def channel_for(kind: str, contact) -> Channel:
    return CHANNELS[kind](contact)


__all__ = ["CHANNELS", "Channel", "ChannelError", "Message", "channel_for"]
