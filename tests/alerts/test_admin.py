"""The admin: a care team's contact list keeps a 24/7 red contact; every list page loads."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils.html import escape

from alerts.services import flagging
from patients.models import BrokenChannel, CareTeam, Contact
from patients.services.check_ins import record_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # in hours in London, 05:00 in New York

NEEDS_24_7 = "needs a contact on duty 24/7 that handles red"


def management(prefix: str, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def contact_row(i: int, **fields) -> dict:
    """One row of the team's contact inline; booleans are ticked when true, as a browser does."""
    row = {
        "order": i + 1,
        "name": f"Contact {i + 1}",
        "role": "",
        "phone": "020 7946 0000",
        "email": f"contact{i + 1}@example.org",
        "sms_number": "",
        "handles_amber": True,
        "handles_red": True,
        "always_on_duty": False,
        "active": True,
        **fields,
    }
    data = {}
    for key, value in row.items():
        if value is True:
            data[f"contacts-{i}-{key}"] = "on"
        elif value is not False:
            data[f"contacts-{i}-{key}"] = str(value)
    return data


def team_form(name: str, *contacts: dict) -> dict:
    data = {
        "name": name,
        "time_zone": "Europe/London",
        "after_treatment_reminders": "weekly",
        **management("memberships", 0),
        **management("contacts", len(contacts)),
        "_save": "Save",
    }
    for i, fields in enumerate(contacts):
        data.update(contact_row(i, **fields))
    return data


def contact_form(contact: Contact, hours=(), **changes) -> dict:
    """The ContactAdmin change form as it is shown, with `changes`; `hours` are (id, days,
    start, end) rows of the hours inline."""
    fields = {
        "team": contact.team_id,
        "name": contact.name,
        "role": contact.role,
        "phone": contact.phone,
        "when_to_call": contact.when_to_call,
        "email": contact.email,
        "sms_number": contact.sms_number,
        "handles_amber": contact.handles_amber,
        "handles_red": contact.handles_red,
        "always_on_duty": contact.always_on_duty,
        "order": contact.order,
        "active": contact.active,
        **changes,
    }
    data = {k: ("on" if v is True else str(v)) for k, v in fields.items() if v is not False}
    initial = sum(1 for pk, *_ in hours if pk)
    data.update(management("hours", len(hours), initial))
    data.update(management("broken_channels", 0))
    for i, (pk, days, start, end) in enumerate(hours):
        data.update(
            {
                f"hours-{i}-id": str(pk or ""),
                f"hours-{i}-contact": str(contact.pk),
                f"hours-{i}-days": days,
                f"hours-{i}-start": start,
                f"hours-{i}-end": end,
            }
        )
    data["_save"] = "Save"
    return data


def change_url(contact: Contact) -> str:
    return reverse("admin:patients_contact_change", args=[contact.pk])


# A care team and its contact list


def test_the_add_page_uses_the_inline_prefixes_the_tests_post(admin_client_):
    response = admin_client_.get(reverse("admin:patients_careteam_add"))

    assert 'name="memberships-TOTAL_FORMS"' in response.text
    assert 'name="contacts-TOTAL_FORMS"' in response.text


def test_it_refuses_a_team_without_a_24_7_contact_for_red(admin_client_):
    response = admin_client_.post(
        reverse("admin:patients_careteam_add"),
        team_form(
            "Day unit",
            {"name": "Day nurse"},
            {"name": "Registrar", "handles_amber": False, "order": 2},
        ),
    )

    assert response.status_code == 200
    assert NEEDS_24_7 in response.text
    assert not CareTeam.objects.filter(name="Day unit").exists()
    assert not Contact.objects.filter(name__in=["Day nurse", "Registrar"]).exists()


def test_a_24_7_contact_that_handles_only_amber_is_not_enough(admin_client_):
    response = admin_client_.post(
        reverse("admin:patients_careteam_add"),
        team_form(
            "Day unit",
            {"name": "Day nurse"},
            {"name": "Amber line", "handles_red": False, "always_on_duty": True},
        ),
    )

    assert NEEDS_24_7 in response.text
    assert not CareTeam.objects.filter(name="Day unit").exists()


def test_an_inactive_24_7_contact_for_red_is_not_enough(admin_client_):
    response = admin_client_.post(
        reverse("admin:patients_careteam_add"),
        team_form("Day unit", {"name": "24-hour line", "always_on_duty": True, "active": False}),
    )

    assert NEEDS_24_7 in response.text
    assert not CareTeam.objects.filter(name="Day unit").exists()


def test_it_saves_a_team_with_a_24_7_contact_for_red(admin_client_):
    response = admin_client_.post(
        reverse("admin:patients_careteam_add"),
        team_form(
            "Day unit",
            {"name": "Day nurse"},
            {"name": "24-hour line", "always_on_duty": True, "phone": "020 7946 0999"},
        ),
    )

    assert response.status_code == 302, response.context["errors"]
    team = CareTeam.objects.get(name="Day unit")
    assert [(c.order, c.name, c.always_on_duty) for c in team.contacts.all()] == [
        (1, "Day nurse", False),
        (2, "24-hour line", True),
    ]
    assert team.contact_list_errors() == []


def test_it_refuses_two_contacts_with_the_same_order(admin_client_):
    response = admin_client_.post(
        reverse("admin:patients_careteam_add"),
        team_form(
            "Day unit",
            {"name": "Day nurse", "order": 1},
            {"name": "24-hour line", "always_on_duty": True, "order": 1},
        ),
    )

    assert response.status_code == 200
    assert "order" in str(response.context["inline_admin_formsets"][1].formset.non_form_errors())
    assert not CareTeam.objects.filter(name="Day unit").exists()
    assert not Contact.objects.filter(name="Day nurse").exists()


def test_it_refuses_a_contact_with_no_alert_channel(admin_client_):
    response = admin_client_.post(
        reverse("admin:patients_careteam_add"),
        team_form("Day unit", {"name": "24-hour line", "always_on_duty": True, "email": ""}),
    )

    assert (
        "A contact that takes alerts needs an alert email, SMS number, webhook or FHIR endpoint."
        in response.text
    )
    assert not CareTeam.objects.filter(name="Day unit").exists()


# Editing a contact


def test_it_refuses_to_untick_24_7_on_the_only_24_7_contact_for_red(admin_client_, team):
    team.contacts_by_role["registrar"].delete()
    line = team.contacts_by_role["line"]

    response = admin_client_.post(change_url(line), contact_form(line, always_on_duty=False))

    assert response.status_code == 200
    assert NEEDS_24_7 in response.text
    line.refresh_from_db()
    assert line.always_on_duty is True


def test_it_refuses_to_deactivate_the_only_24_7_contact_for_red(admin_client_, team):
    team.contacts_by_role["registrar"].delete()
    line = team.contacts_by_role["line"]

    response = admin_client_.post(change_url(line), contact_form(line, active=False))

    assert NEEDS_24_7 in response.text
    line.refresh_from_db()
    assert line.active is True


def test_it_lets_one_of_two_24_7_contacts_for_red_untick_24_7(admin_client_, team):
    line = team.contacts_by_role["line"]

    response = admin_client_.post(change_url(line), contact_form(line, always_on_duty=False))

    assert response.status_code == 302
    line.refresh_from_db()
    assert line.always_on_duty is False


def test_it_refuses_moving_the_only_24_7_contact_for_red_to_another_team(
    admin_client_, team, other_team
):
    # The team left behind would have nobody to take a red alert at night.
    team.contacts_by_role["registrar"].delete()
    line = team.contacts_by_role["line"]

    admin_client_.post(change_url(line), contact_form(line, team=other_team.pk, order=9))

    line.refresh_from_db()
    assert line.team == team
    assert team.contact_list_errors() == []


def test_it_refuses_an_order_already_taken_in_the_team(admin_client_, team):
    registrar = team.contacts_by_role["registrar"]

    response = admin_client_.post(change_url(registrar), contact_form(registrar, order=1))

    assert response.status_code == 200
    assert "Two contacts have the same order" in response.text
    registrar.refresh_from_db()
    assert registrar.order == 3


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("09:00", "25:00", "'25:00' is not a time from 00:00 to 24:00 (HH:MM)"),
        ("9am", "17:00", "'9am' is not a time from 00:00 to 24:00 (HH:MM)"),
        ("17:00", "09:00", "17:00-09:00: a window ends after it starts"),
    ],
)
def test_it_refuses_contact_hours_that_are_not_a_window(admin_client_, team, start, end, message):
    nurse = team.contacts_by_role["nurse"]
    hours = nurse.hours.get()

    response = admin_client_.post(
        change_url(nurse), contact_form(nurse, hours=[(hours.pk, "mon-fri", start, end)])
    )

    assert response.status_code == 200
    assert escape(message) in response.text
    hours.refresh_from_db()
    assert (hours.start, hours.end) == ("09:00", "17:00")


def test_it_refuses_days_it_cannot_read(admin_client_, team):
    nurse = team.contacts_by_role["nurse"]

    response = admin_client_.post(
        change_url(nurse), contact_form(nurse, hours=[(None, "weekends", "09:00", "12:00")])
    )

    assert response.status_code == 200
    assert "days are mon, tue, wed, thu, fri, sat, sun" in response.text
    assert nurse.hours.count() == 1


def test_it_saves_good_contact_hours(admin_client_, team):
    nurse = team.contacts_by_role["nurse"]
    hours = nurse.hours.get()

    response = admin_client_.post(
        change_url(nurse),
        contact_form(
            nurse, hours=[(hours.pk, "mon-fri", "08:00", "18:00"), (None, "sat", "09:00", "24:00")]
        ),
    )

    assert response.status_code == 302
    assert sorted((h.days, h.start, h.end) for h in nurse.hours.all()) == [
        ("mon-fri", "08:00", "18:00"),
        ("sat", "09:00", "24:00"),
    ]


# Every list page loads, with search and filters


@pytest.fixture
def records(patient, other_patient, nurse):
    """A red check-in each for alice and bob, flagged and alerted on a Tuesday morning."""
    for who in (patient, other_patient):
        check_in, _, _ = record_check_in(
            patient=who,
            answers={"stools_per_day": 9},
            entered_by="patient",
            user=who.user,
            now=TUESDAY_10,
        )
        flagging.flag_check_in(check_in.pk, now=TUESDAY_10)


@pytest.mark.parametrize(
    ("model", "query", "count"),
    [
        ("patients/careteam", "", 2),
        ("patients/careteam", "?q=Immunotherapy", 1),
        ("patients/contact", "", 6),
        ("patients/contact", "?q=registrar&handles_red__exact=1&always_on_duty__exact=1", 2),
        ("patients/contact", "?team__id__exact={team}&handles_amber__exact=1&active__exact=1", 2),
        ("patients/patient", "?q=Morgan", 1),
        ("patients/patient", "?care_team__id__exact={team}&treatments__status__exact=active", 1),
        ("patients/patient", "?treatments__kind__exact=checkpoint_inhibitor", 1),
        ("patients/checkin", "?q=Okafor", 1),
        ("patients/checkin", "?urgency__exact=red&entered_by__exact=patient", 2),
        ("patients/checkin", "?patient__care_team__id__exact={team}", 1),
        ("patients/flag", "?q=stools&episode__status__exact=open&urgency__exact=red", 2),
        ("patients/flag", "?rule__exact=R2&check_in__patient__care_team__id__exact={team}", 1),
        ("alerts/alert", "?urgency__exact=red&level__exact=0", 2),
        ("alerts/notification", "?q=example.org&status__exact=queued", 2),
        ("alerts/notification", "?q=nurse+specialist", 2),
        ("alerts/notification", "?channel__exact=sms&contact__team__id__exact={team}", 1),
    ],
)
def test_the_admin_list_pages_load_with_search_and_filters(
    admin_client_, team, records, model, query, count
):
    response = admin_client_.get(f"/admin/{model}/" + query.format(team=team.pk))

    assert response.status_code == 200
    assert response.context["cl"].result_count == count


def test_it_will_not_delete_the_only_24_7_contact_for_red(admin_client_, team):
    line, registrar = team.contacts_by_role["line"], team.contacts_by_role["registrar"]
    registrar.delete()  # leaves the 24-hour line as the only 24/7 contact for red

    url = reverse("admin:patients_contact_delete", args=[line.pk])
    assert admin_client_.get(url).status_code == 403
    assert admin_client_.post(url, {"post": "yes"}).status_code == 403
    assert Contact.objects.filter(pk=line.pk).exists()


def test_it_deletes_a_contact_the_list_can_do_without(admin_client_, team):
    registrar = team.contacts_by_role["registrar"]

    url = reverse("admin:patients_contact_delete", args=[registrar.pk])
    response = admin_client_.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Contact.objects.filter(pk=registrar.pk).exists()


def test_contacts_have_no_bulk_delete(admin_client_, team):
    response = admin_client_.get(reverse("admin:patients_contact_changelist"))

    assert 'value="delete_selected"' not in response.text


@pytest.mark.parametrize("number", ["+44 7700 900123", "07700900123", "+4477009"])
def test_it_refuses_an_sms_number_not_in_international_format(admin_client_, team, number):
    nurse = team.contacts_by_role["nurse"]

    response = admin_client_.post(change_url(nurse), contact_form(nurse, sms_number=number))

    assert "Enter the number in international format with no spaces" in response.text
    nurse.refresh_from_db()
    assert nurse.sms_number == "+447700900101"


def test_the_team_list_shows_contacts_never_on_duty_and_failing_channels(
    admin_client_, team, patient
):
    team.contacts_by_role["nurse"].hours.all().delete()
    BrokenChannel.objects.create(
        contact=team.contacts_by_role["line"], channel="sms", error="HTTP 400 invalid number"
    )

    response = admin_client_.get(reverse("admin:patients_careteam_changelist"))

    assert "Immunotherapy nurse specialist is never on duty" in response.text
    assert "SMS alerts are failing (HTTP 400 invalid number)" in response.text
