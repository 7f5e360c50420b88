import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .base import Channel, ChannelError, Message


class EmailChannel(Channel):
    """Django's configured email backend (console in development, SMTP in production);
    a text body and an HTML alternative."""

    def deliver(self, address: str, message: Message, *, idempotency_key: str) -> None:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"X-Idempotency-Key": idempotency_key},
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"address refused: {exc}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"email not sent: {exc}") from exc
