"""What an alert says, and the signed link that acknowledges it.

The acknowledge link is signed and expires (ACK_LINK_MAX_AGE_SECONDS); that it
works once is kept on the notification (link_used_at).
"""

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse

from .channels import Message

SALT = "alerts.acknowledge-link"


def ack_token(notification_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(notification_id))


def read_ack_token(token: str) -> int:
    """The notification id; raises signing.SignatureExpired or signing.BadSignature."""
    value = signing.TimestampSigner(salt=SALT).unsign(
        token, max_age=settings.ACK_LINK_MAX_AGE_SECONDS
    )
    return int(value)


def ack_url(notification_id: int) -> str:
    return settings.SITE_URL + reverse("alerts:ack", args=[ack_token(notification_id)])


def alert_message(notification) -> Message:
    """The words of one notification. Email carries the findings (to a clinical
    address); SMS and webhooks carry no symptom details or names, only that a
    patient needs review and the link (their message has no body)."""
    alert = notification.alert
    check_in = alert.check_in
    level = alert.get_urgency_display().upper()
    context = {
        "alert": alert,
        "check_in": check_in,
        "patient": check_in.patient,
        "flags": check_in.flags.all(),
        "level": level,
        "ack_url": ack_url(notification.pk),
        "queue_url": settings.SITE_URL + reverse("alerts:queue"),
        "escalated": notification.level > 0,
    }
    short = f"Symptom tracker: {level} alert, a patient needs review. {context['ack_url']}"
    # Only an email carries the body (SMS and webhooks send `short` and `data`): the
    # templates, which read the flags, are drawn for it alone.
    email = notification.channel == "email"
    return Message(
        subject=f"{level} alert: a patient needs review",
        body=render_to_string("alerts/email/alert.txt", context) if email else "",
        html=render_to_string("alerts/email/alert.html", context) if email else "",
        short=short,
        data={
            "event": "alert",
            "alert_id": alert.pk,
            "urgency": alert.urgency,
            "team": check_in.patient.care_team.name,
            "escalation_level": notification.level,
            "created_at": alert.created_at.isoformat(),
            "acknowledge_url": context["ack_url"],
            "queue_url": context["queue_url"],
        },
        notification_id=notification.pk,
    )
