"""Each channel's success, transient failure with retry, permanent failure with
fall-through; the webhook's signature. Only the HTTP edge is replaced."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from alerts.channels import http
from alerts.channels.webhook import sign, verify_signature
from alerts.models import Alert, Notification
from alerts.services import delivery, flagging
from patients.models import BrokenChannel

from ..factories import make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SOON = TUESDAY_10 + timedelta(minutes=1)


class FakeProvider:
    """Stands in for the network: records each POST, answers from a script."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = []

    def __call__(self, url, **kwargs):
        self.calls.append({"url": url, **kwargs})
        reply = self.replies.pop(0) if self.replies else 200
        if isinstance(reply, Exception):
            raise reply
        return http.Response(reply)


@pytest.fixture
def provider(monkeypatch, settings):
    settings.SMS_API_URL = "https://sms.example.test/2010-04-01/Accounts/AC1/Messages.json"
    settings.SMS_ACCOUNT, settings.SMS_TOKEN, settings.SMS_FROM = "AC1", "secret", "+447700900000"
    fake = FakeProvider()
    monkeypatch.setattr(http, "post", fake)
    return fake


def red_alert(patient):
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    return Alert.objects.get(check_in=check_in)


def only(alert, channel, contact=None):
    found = Notification.objects.filter(alert=alert, channel=channel)
    return found.get(contact=contact) if contact else found.get()


def test_an_sms_goes_to_the_provider_with_no_symptom_details(patient, provider):
    sms = only(red_alert(patient), "sms")

    delivery.deliver_notification(sms.pk, now=SOON)

    sms.refresh_from_db()
    assert sms.status == "sent"
    call = provider.calls[0]
    assert call["url"].endswith("/Messages.json") and call["auth"] == ("AC1", "secret")
    assert call["form"]["To"] == "+447700900101" and call["form"]["From"] == "+447700900000"
    body = call["form"]["Body"]
    assert body.startswith("Symptom tracker: RED alert, a patient needs review. http")
    assert "/triage/ack/" in body
    assert "stool" not in body.lower() and patient.name not in body and len(body) < 200


@pytest.mark.parametrize("reply", [500, 503, 429, http.ChannelError("timed out")])
def test_an_sms_provider_failing_for_now_is_retried_with_backoff(patient, provider, reply):
    provider.replies = [reply, 200]
    sms = only(red_alert(patient), "sms")

    delay = delivery.deliver_notification(sms.pk, now=SOON)

    sms.refresh_from_db()
    assert delay == delivery.DELIVERY_BACKOFF[0] and sms.status == "queued"
    assert sms.not_before == SOON + timedelta(seconds=delay)
    delivery.deliver_notification(sms.pk, now=sms.not_before)
    sms.refresh_from_db()
    assert sms.status == "sent" and sms.attempts == 2
    assert not BrokenChannel.objects.exists()


def test_an_invalid_number_breaks_the_sms_channel_and_email_still_reaches_the_contact(
    patient, team, provider
):
    provider.replies = [400]
    alert = red_alert(patient)
    sms = only(alert, "sms")

    assert delivery.deliver_notification(sms.pk, now=SOON) is None

    sms.refresh_from_db()
    assert sms.status == "failed" and "HTTP 400" in sms.last_error
    nurse = team.contacts_by_role["nurse"]
    assert BrokenChannel.objects.get().contact == nurse
    # The contact's email is still pending, so nobody else is alerted yet.
    alert.refresh_from_db()
    assert alert.contact == nurse and alert.level == 0
    # Later alerts skip the broken channel until the number is changed.
    assert [kind for kind, _ in nurse.channels()] == ["email"]
    nurse.sms_number = "+447700900102"
    nurse.save()
    assert not BrokenChannel.objects.exists()


def test_when_every_channel_of_the_contact_fails_the_next_contact_is_alerted(
    patient, team, provider
):
    provider.replies = [400]
    alert = red_alert(patient)
    nurse, line = team.contacts_by_role["nurse"], team.contacts_by_role["line"]
    email = only(alert, "email")
    Notification.objects.filter(pk=email.pk).update(status="failed", last_error="refused")

    delivery.deliver_notification(only(alert, "sms").pk, now=SOON)

    alert.refresh_from_db()
    assert alert.contact == line and alert.level == 1
    assert {n.channel for n in Notification.objects.filter(alert=alert, contact=line)} == {
        "email",
        "sms",
    }
    assert nurse.broken_channels.count() == 1


def test_a_contact_whose_channels_are_all_broken_is_passed_over_by_routing(patient, team):
    nurse = team.contacts_by_role["nurse"]
    BrokenChannel.objects.create(contact=nurse, channel="sms", error="invalid")
    BrokenChannel.objects.create(contact=nurse, channel="email", error="refused")

    alert = red_alert(patient)

    assert alert.contact == team.contacts_by_role["line"]


def test_email_has_a_text_and_an_html_body_with_the_acknowledge_link(patient):
    email = only(red_alert(patient), "email")

    delivery.deliver_notification(email.pk, now=SOON)

    message = mail.outbox[0]
    assert "stools 9/day vs baseline 1/day" in message.body
    assert "/triage/ack/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "Open and acknowledge" in html and "/triage/ack/" in html


def test_a_refused_email_address_breaks_the_email_channel(patient, monkeypatch):
    import smtplib

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"cns@example.org": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    email = only(red_alert(patient), "email")

    delivery.deliver_notification(email.pk, now=SOON)

    assert Notification.objects.get(pk=email.pk).status == "failed"
    assert BrokenChannel.objects.get().channel == "email"


@pytest.fixture
def webhook_contact(team):
    nurse = team.contacts_by_role["nurse"]
    nurse.webhook_url = "https://chat.example.test/hooks/oncology"
    nurse.save()
    return nurse


def test_a_webhook_posts_signed_json(patient, webhook_contact, provider):
    hook = only(red_alert(patient), "webhook")

    delivery.deliver_notification(hook.pk, now=SOON)

    assert Notification.objects.get(pk=hook.pk).status == "sent"
    call = provider.calls[0]
    assert call["url"] == "https://chat.example.test/hooks/oncology"
    headers, body = call["headers"], call["body"]
    assert verify_signature(
        webhook_contact.webhook_secret,
        headers["X-Alert-Timestamp"],
        body,
        headers["X-Alert-Signature"],
    )
    payload = json.loads(body)
    assert payload["event"] == "alert" and payload["urgency"] == "red"
    assert payload["idempotency_key"] == f"notification-{hook.pk}"
    assert "/triage/ack/" in payload["acknowledge_url"]
    assert "stool" not in body.decode().lower()


def test_a_webhook_signature_fails_for_a_changed_body_a_wrong_secret_or_an_old_timestamp():
    body, stamp = b'{"event": "alert"}', 1_800_000_000
    good = sign("s3cret", stamp, body)

    assert verify_signature("s3cret", str(stamp), body, good, now=stamp + 10)
    assert not verify_signature("s3cret", str(stamp), body + b" ", good, now=stamp + 10)
    assert not verify_signature("other", str(stamp), body, good, now=stamp + 10)
    assert not verify_signature("s3cret", str(stamp), body, good, now=stamp + 301)
    assert not verify_signature("s3cret", "yesterday", body, good, now=stamp)


@pytest.mark.parametrize(("reply", "permanent"), [(410, True), (404, True), (502, False)])
def test_a_webhook_failure_is_permanent_for_4xx_and_transient_for_5xx(
    patient, webhook_contact, provider, reply, permanent
):
    provider.replies = [reply]
    hook = only(red_alert(patient), "webhook")

    delivery.deliver_notification(hook.pk, now=SOON)

    hook.refresh_from_db()
    assert hook.status == ("failed" if permanent else "queued")
    assert BrokenChannel.objects.filter(channel="webhook").exists() is permanent
    # The reply is not kept: a team's own address cannot read a server back through the app.
    assert hook.last_error == f"webhook: HTTP {reply}"


@pytest.mark.parametrize("reply", [301, 302, 307, 308])
def test_a_webhook_answering_with_a_redirect_breaks_the_channel_and_is_not_followed(
    patient, webhook_contact, provider, reply
):
    provider.replies = [reply]
    hook = only(red_alert(patient), "webhook")

    delivery.deliver_notification(hook.pk, now=SOON)

    hook.refresh_from_db()
    assert hook.status == "failed" and hook.last_error == "webhook: redirect refused"
    assert BrokenChannel.objects.get(channel="webhook").error == "webhook: redirect refused"
    assert len(provider.calls) == 1
