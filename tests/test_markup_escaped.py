"""Text from outside is shown as text, never run as markup: names (a patient's, a
carer's, a contact's), addresses, a provider's or a relay's reply, and free text.

Markup is pushed through every such field, then every page that shows one is read as
each person who may see it: the markup must be there, escaped, and nowhere as it is."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from alerts.models import Alert, DeliveryAttempt, Notification
from patients.models import BrokenChannel, Carer, CheckIn, Contact, Flag, Question, Treatment

from .conftest import login
from .privacy.conftest import flagged

MARKUP = "<a/href=//evil.example/relogin>Session_expired</a>"
RAW = "<a/href=//evil.example"  # the start of the markup, as a browser would run it
ESCAPED = escape(MARKUP)
ADDRESS = f'"{MARKUP}"@example.org'
REPLY = f"550 5.1.1 <{ADDRESS}>: Recipient address rejected"


@pytest.fixture
def marked(patient, team, carer, nurse):
    """Alice's record, her carer and her team's contact list, with markup in every text
    someone outside the code typed or sent: the alert is delivered (an email to the
    team) and then fails; the episode is acted on and resolved."""
    from alerts.services import delivery, triage

    user = patient.user
    user.first_name, user.last_name = f"Alice{MARKUP}", f"Morgan{MARKUP}"
    user.save()
    Carer.objects.filter(patient=patient).update(name=f"Cara{MARKUP}")
    nurse_contact = team.contacts_by_role["nurse"]
    Contact.objects.filter(pk=nurse_contact.pk).update(
        name=f"Nurse{MARKUP}", role=f"Specialist{MARKUP}", when_to_call=f"Weekdays{MARKUP}"
    )
    Contact.objects.filter(pk=team.contacts_by_role["line"].pk).update(
        name=f"Line{MARKUP}", email=ADDRESS
    )
    BrokenChannel.objects.create(
        contact=team.contacts_by_role["line"], channel="email", error=REPLY
    )
    Treatment.objects.filter(patient=patient).update(
        medicines=f"pembrolizumab{MARKUP}", steroids=f"pred{MARKUP}"
    )
    Question.objects.create(patient=patient, text=f"Garden?{MARKUP}", answer=f"Yes{MARKUP}")

    flag = flagged(patient, stools_per_day=9, free_text=f"Felt faint{MARKUP}", new_medicines=MARKUP)
    for notification_id in flag.check_in.alert.notifications.values_list("pk", flat=True):
        delivery.deliver_notification(notification_id)
    Notification.objects.update(last_error=REPLY)
    DeliveryAttempt.objects.update(error=REPLY)
    triage.record_action(flag, nurse, kind="phoned", note=f"Phoned{MARKUP}")
    return flag


def assert_shown_as_text(response, url="", status=200):
    assert response.status_code == status, url
    text = response.content.decode()
    assert RAW not in text, f"{url} shows markup from outside as markup"
    assert ESCAPED in text or escape(ADDRESS) in text or escape(REPLY) in text, (
        f"{url} shows none of the marked text: the test no longer covers it"
    )


def test_the_care_teams_pages_show_outside_text_as_text(client, nurse, team, marked):
    login(client, nurse)
    flag = marked
    for url in [
        reverse("alerts:queue"),
        reverse("alerts:queue") + "?view=resolved",
        reverse("alerts:flag", args=[flag.pk]),
        reverse("alerts:patient", args=[flag.check_in.patient_id]),
        reverse("alerts:contacts", args=[team.pk]),
    ]:
        assert_shown_as_text(client.get(url), url)


def test_the_contact_editor_shows_outside_text_as_text(admin_client_, team, marked):
    url = reverse("alerts:edit_contacts", args=[team.pk])
    page = admin_client_.get(url)
    assert_shown_as_text(page, url)
    assert escape(REPLY) in page.content.decode()  # the failing channel's help text

    # Sent back with a mistake: errors and what was typed are shown as text too.
    from .alerts.test_contact_editor import submitted

    data = submitted(page, {f"Line{MARKUP}": {"order": "1"}}, new={"name": MARKUP})
    data["contacts-0-hours"] = f"{MARKUP} 09:00-17:00"
    response = admin_client_.post(url, data)
    assert_shown_as_text(response, url, status=400)


def test_the_patients_own_pages_show_outside_text_as_text(client, patient, marked):
    login(client, patient.user)
    for name in [
        "patients:home",
        "patients:check_ins",
        "patients:contacts",
        "patients:treatment",
        "patients:questions",
        "patients:carers",
        "patients:my_data",
    ]:
        url = reverse(name)
        assert_shown_as_text(client.get(url), url)
    url = reverse("patients:check_in_result", args=[marked.check_in_id])
    assert_shown_as_text(client.get(url), url)


def test_the_carers_pages_show_outside_text_as_text(client, carer, patient, marked):
    login(client, carer)
    client.post(reverse("patients:choose_patient", args=[patient.carers.get().pk]))
    for name in ["patients:home", "patients:check_in", "patients:check_ins", "patients:contacts"]:
        url = reverse(name)
        assert_shown_as_text(client.get(url), url)


def test_the_admins_pages_show_outside_text_as_text(admin_client_, patient, team, marked):
    flag = marked
    alert = Alert.objects.get()
    urls = [
        reverse("admin:patients_patient_changelist"),
        reverse("admin:patients_patient_change", args=[patient.pk]),
        reverse("admin:patients_patient_erase", args=[patient.pk]),
        reverse("admin:patients_carer_changelist"),
        reverse("admin:patients_carer_change", args=[patient.carers.get().pk]),
        reverse("admin:patients_checkin_changelist"),
        reverse("admin:patients_checkin_change", args=[flag.check_in_id]),
        reverse("admin:patients_flag_changelist"),
        reverse("admin:patients_flag_change", args=[flag.pk]),
        reverse("admin:alerts_alert_changelist"),
        reverse("admin:alerts_alert_change", args=[alert.pk]),
        reverse("admin:alerts_notification_changelist"),
        reverse("admin:alerts_notification_change", args=[Notification.objects.first().pk]),
        reverse("admin:patients_careteam_changelist"),
        reverse("admin:patients_careteam_change", args=[team.pk]),
        reverse("admin:patients_contact_changelist"),
        reverse("admin:patients_contact_change", args=[team.contacts_by_role["line"].pk]),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[patient.user_id]),
        reverse("admin:patients_auditevent_changelist"),
    ]
    for url in urls:
        assert_shown_as_text(admin_client_.get(url), url)


def test_the_alert_emails_html_shows_outside_text_as_text(marked):
    (email,) = [m for m in mail.outbox if m.alternatives]
    html, _ = email.alternatives[0]

    assert RAW not in html
    assert ESCAPED in html  # the name, and the contact in the routing reason
    assert "\n" not in email.subject and MARKUP not in email.subject
    # The plain-text part is text: it carries the name as typed, with nothing to run.
    assert MARKUP in email.body


def test_the_checked_in_records_keep_the_text_as_typed(marked):
    """Escaping is done when shown, never when stored."""
    check_in = CheckIn.objects.get(pk=marked.check_in_id)
    assert check_in.free_text == f"Felt faint{MARKUP}"
    assert Flag.objects.filter(check_in=check_in).exists()
