from dataclasses import dataclass


class ChannelError(Exception):
    """Delivery failed. permanent=True: retrying will not help (a bad address)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    """What an alert says. `short` is for SMS and carries no symptom details."""

    subject: str
    body: str
    short: str


class Channel:
    def deliver(self, address: str, message: Message, *, idempotency_key: str) -> None:
        """Deliver `message` to `address`, or raise ChannelError.

        Called outside any database transaction, at least once per notification:
        `idempotency_key` is the same on every attempt, for providers that
        de-duplicate on it.
        """
        raise NotImplementedError
