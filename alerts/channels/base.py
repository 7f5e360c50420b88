from dataclasses import dataclass, field


class ChannelError(Exception):
    """Delivery failed. permanent=True: retrying will not help (a bad address)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    """What an alert says. `short` (SMS, chat) carries no symptom details, only that
    a patient needs review and the acknowledge link; `data` is the webhook's JSON;
    `notification_id` names the notification, for a channel that sends records built
    from it (the fhir app's push)."""

    subject: str
    body: str
    short: str
    html: str = ""
    data: dict = field(default_factory=dict)
    notification_id: int | None = None


class Channel:
    def deliver(self, address: str, message: Message, *, idempotency_key: str) -> None:
        """Deliver `message` to `address`, or raise ChannelError.

        Called outside any database transaction, at least once per notification:
        `idempotency_key` is the same on every attempt, for providers that
        de-duplicate on it.
        """
        raise NotImplementedError
