"""A team's contact list in the app: who may see and edit it, saving all or nothing, and
the preview of who would be alerted now, tonight, on Saturday and on Monday."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.html import escape

from clinical.routing import preview_instants
from patients.models import BrokenChannel, Contact, ContactHours

from ..conftest import login
from ..factories import UserFactory, add_member

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 10:00 in London, 05:00 in New York
NEEDS_24_7 = "needs a contact on duty 24/7 that handles red"
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def contacts_url(team) -> str:
    return reverse("alerts:contacts", args=[team.pk])


def edit_url(team) -> str:
    return reverse("alerts:edit_contacts", args=[team.pk])


@pytest.fixture
def coordinator(team):
    user = UserFactory(username="cora", first_name="Cora", last_name="Baines")
    add_member(team, user, role="coordinator")
    return user


@pytest.fixture
def other_coordinator(other_team):
    user = UserFactory(username="otto")
    add_member(other_team, user, role="coordinator")
    return user


@pytest.fixture
def coordinator_client(client, coordinator):
    return login(client, coordinator)


def submitted(response, changes=None, new=None, button="save") -> dict:
    """The editor's form as the browser sends it, with `changes` to the contacts (by name)
    and `new` typed into the blank row; booleans are ticked when true."""
    formset = response.context["formset"]
    management = formset.management_form
    data = {management.add_prefix(name): management[name].value() for name in management.fields}
    for form in formset:
        values = {name: form[name].value() for name in form.fields}
        name = form.initial.get("name")
        values.update((changes or {}).get(name, {}) if name else (new or {}))
        for field, value in values.items():
            if value is True:
                data[form.add_prefix(field)] = "on"
            elif value not in (False, None):
                data[form.add_prefix(field)] = str(value)
    data[button] = ""
    return data


def edit(client, team, changes=None, new=None, button="save"):
    page = client.get(edit_url(team))
    assert page.status_code == 200
    return client.post(edit_url(team), submitted(page, changes, new, button))


def saved_list(team) -> list[tuple]:
    return [
        (c.order, c.name, c.phone, c.always_on_duty, c.active, [str(h) for h in c.hours.all()])
        for c in team.contacts.order_by("order")
    ]


def preview_rows(response) -> list[tuple]:
    """(label, local time, red contact, amber contact) of each row of the preview."""
    return [
        (
            row.label,
            row.at.astimezone(response.context["team"].tz).strftime("%a %d %b %H:%M %Z"),
            row.red.contact.name if row.red else None,
            row.amber.contact.name if row.amber else None,
        )
        for row in response.context["preview"]
    ]


# Who may see and edit a team's contact list


def test_an_admin_sees_and_edits_any_teams_contact_list(admin_client_, team, other_team):
    for each in (team, other_team):
        page = admin_client_.get(contacts_url(each))
        assert page.status_code == 200
        assert edit_url(each) in page.text
        assert admin_client_.get(edit_url(each)).status_code == 200


def test_a_coordinator_sees_and_edits_their_own_teams_contact_list(coordinator_client, team):
    page = coordinator_client.get(contacts_url(team))

    assert page.status_code == 200
    assert page.context["can_edit"] is True
    assert edit_url(team) in page.text
    assert coordinator_client.get(edit_url(team)).status_code == 200


def test_a_coordinator_of_another_team_gets_404(client, other_coordinator, team):
    login(client, other_coordinator)

    assert client.get(contacts_url(team)).status_code == 404
    assert client.get(edit_url(team)).status_code == 404


def test_a_nurse_sees_their_teams_list_and_preview_but_cannot_edit_it(
    admin_client_, client, nurse, team
):
    admin_page = admin_client_.get(edit_url(team))
    login(client, nurse)

    page = client.get(contacts_url(team))

    assert page.status_code == 200
    assert page.context["can_edit"] is False
    assert "Immunotherapy nurse specialist" in page.text
    assert len(page.context["preview"]) == 4
    assert edit_url(team) not in page.text
    assert client.get(edit_url(team)).status_code == 404
    data = submitted(admin_page, {"Acute oncology 24-hour line": {"phone": "020 7946 0000"}})
    assert client.post(edit_url(team), data).status_code == 404
    assert team.contacts.get(order=2).phone == "020 7946 0999"


def test_a_nurse_of_another_team_gets_404(client, other_nurse, team):
    login(client, other_nurse)

    assert client.get(contacts_url(team)).status_code == 404


def test_a_patient_gets_404(patient_client, team):
    assert patient_client.get(contacts_url(team)).status_code == 404
    assert patient_client.get(edit_url(team)).status_code == 404


def test_staff_without_the_change_contact_permission_get_404(client, team):
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_contact"))
    login(client, user)

    assert client.get(contacts_url(team)).status_code == 404
    assert client.get(edit_url(team)).status_code == 404


def test_staff_with_the_change_contact_permission_edit_any_team(client, team):
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_contact"))
    login(client, user)

    assert client.get(edit_url(team)).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, team):
    for url in (contacts_url(team), edit_url(team)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
    client.post(edit_url(team), {})
    assert team.contacts.count() == 3


# The list page


def test_the_list_shows_each_contact_with_channels_hours_and_problems(admin_client_, team):
    nurse = team.contacts_by_role["nurse"]
    BrokenChannel.objects.create(
        contact=team.contacts_by_role["line"], channel="sms", error="HTTP 400 invalid number"
    )
    Contact.objects.filter(pk=team.contacts_by_role["registrar"].pk).update(active=False)
    ContactHours.objects.create(contact=nurse, days="sat", start="10:00", end="14:00")

    page = admin_client_.get(contacts_url(team))

    assert page.status_code == 200
    assert "020 7946 0101" in page.text
    assert "mon-fri 09:00\N{EN DASH}17:00" in page.text
    assert "sat 10:00\N{EN DASH}14:00" in page.text
    assert "+447700900999" in page.text and "failing" in page.text
    assert "SMS alerts are failing (HTTP 400 invalid number)" in page.text
    assert "Inactive" in page.text
    assert page.context["problems"] == [
        (
            "Acute oncology 24-hour line: SMS alerts are failing (HTTP 400 invalid number); "
            "correct the address to try it again.",
            False,
        )
    ]


def test_the_list_shows_a_list_that_cannot_be_used_as_an_error(admin_client_, team):
    Contact.objects.filter(always_on_duty=True).update(always_on_duty=False)

    page = admin_client_.get(contacts_url(team))

    assert [(NEEDS_24_7 in p, is_error) for p, is_error in page.context["problems"]] == [
        (True, True),
        (False, False),  # the 24-hour line is now never on duty
        (False, False),
    ]
    assert 'class="alert alert-danger"' in page.text


# Editing


def test_it_saves_a_new_phone_and_new_hours(coordinator_client, team):
    response = edit(
        coordinator_client,
        team,
        {
            "Immunotherapy nurse specialist": {
                "phone": "020 7946 0111",
                "hours": "mon-thu 08:00-18:00; Fri 08:00 - 16:00",
            }
        },
    )

    assert response.status_code == 302
    assert response.url == contacts_url(team)
    nurse = team.contacts.get(order=1)
    assert nurse.phone == "020 7946 0111"
    assert sorted(str(h) for h in nurse.hours.all()) == ["fri 08:00-16:00", "mon-thu 08:00-18:00"]
    assert team.contact_list_errors() == []
    page = coordinator_client.get(response.url)
    assert "is saved" in page.text


def test_it_refuses_a_list_without_a_24_7_contact_for_red_and_changes_nothing(admin_client_, team):
    before = saved_list(team)

    response = edit(
        admin_client_,
        team,
        {
            "Immunotherapy nurse specialist": {"phone": "020 7946 0111"},
            "Acute oncology 24-hour line": {
                "always_on_duty": False,
                "hours": "mon-sun 08:00-20:00",
            },
            "On-call oncology registrar": {"active": False},
        },
    )

    assert response.status_code == 400
    assert NEEDS_24_7 in response.text
    assert "Nothing has been saved" in response.text
    assert saved_list(team) == before


def test_it_refuses_hours_it_cannot_read_with_the_parsers_message_beside_the_field(
    admin_client_, team
):
    before = saved_list(team)

    response = edit(
        admin_client_,
        team,
        {
            "Immunotherapy nurse specialist": {
                "phone": "020 7946 0111",
                "hours": "mon-fri 09:00-25:00",
            },
            "Acute oncology 24-hour line": {"hours": "weekends 09:00-12:00"},
        },
    )

    assert response.status_code == 400
    nurse_form, line_form = response.context["formset"].forms[:2]
    assert nurse_form.errors == {"hours": ["'25:00' is not a time from 00:00 to 24:00 (HH:MM)"]}
    assert line_form.errors == {"hours": ["'weekends': days are mon, tue, wed, thu, fri, sat, sun"]}
    # Beside the field: crispy's feedback, tied to the input by its id.
    assert 'id="error_1_id_contacts-0-hours"' in response.text
    assert escape("'25:00' is not a time from 00:00 to 24:00 (HH:MM)") in response.text
    assert saved_list(team) == before


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("mon-fri 17:00-09:00", "17:00-09:00: a window ends after it starts"),
        ("mon-fri", "write the days, then the times"),
        ("mon-fri 9:00-17:00", "'9:00' is not a time from 00:00 to 24:00 (HH:MM)"),
        ("mon,tue,wed,thu,fri,sat,sun,mon,tue,wed,thu 09:00-17:00", "too many days"),
    ],
)
def test_it_explains_hours_that_are_not_a_window(admin_client_, team, hours, message):
    response = edit(admin_client_, team, {"Immunotherapy nurse specialist": {"hours": hours}})

    assert response.status_code == 400
    assert message in response.context["formset"].forms[0].errors["hours"][0]


def test_it_adds_a_contact_with_its_hours(coordinator_client, team):
    response = edit(
        coordinator_client,
        team,
        new={
            "name": "Weekend nurse",
            "phone": "020 7946 0444",
            "sms_number": "+447700900444",
            "handles_amber": True,
            "hours": "sat,sun 10:00-14:00",
        },
    )

    assert response.status_code == 302
    added = team.contacts.get(name="Weekend nurse")
    assert (added.order, added.active, added.handles_amber, added.handles_red) == (
        4,
        True,
        True,
        False,
    )
    assert [str(h) for h in added.hours.all()] == ["sat,sun 10:00-14:00"]
    assert added.webhook_secret  # a secret of its own, as the admin would give it


def test_a_blank_new_row_adds_nobody(admin_client_, team):
    response = edit(admin_client_, team)

    assert response.status_code == 302
    assert team.contacts.count() == 3


def test_a_new_contact_needs_an_alert_channel_and_an_urgency(admin_client_, team):
    response = edit(admin_client_, team, new={"name": "Porter", "phone": "020 7946 0555"})

    assert response.status_code == 400
    errors = response.context["formset"].forms[3].non_field_errors()
    assert errors == ["A contact handles amber, red, or both."]
    assert team.contacts.count() == 3


def test_it_deactivates_a_contact(coordinator_client, team):
    registrar = team.contacts_by_role["registrar"]

    response = edit(coordinator_client, team, {"On-call oncology registrar": {"active": False}})

    assert response.status_code == 302
    registrar.refresh_from_db()
    assert registrar.active is False
    assert [s.name for s in team.contact_specs()] == [
        "Immunotherapy nurse specialist",
        "Acute oncology 24-hour line",
    ]
    # Still on the editor, to be brought back.
    page = coordinator_client.get(edit_url(team))
    assert "3. On-call oncology registrar (inactive)" in page.text


def test_it_refuses_to_deactivate_the_only_24_7_contact_for_red(admin_client_, team):
    Contact.objects.filter(pk=team.contacts_by_role["registrar"].pk).update(active=False)

    response = edit(admin_client_, team, {"Acute oncology 24-hour line": {"active": False}})

    assert response.status_code == 400
    assert NEEDS_24_7 in response.text
    assert team.contacts.get(order=2).active is True


def test_two_contacts_swap_places(admin_client_, team):
    response = edit(
        admin_client_,
        team,
        {
            "Immunotherapy nurse specialist": {"order": 2},
            "Acute oncology 24-hour line": {"order": 1},
        },
    )

    assert response.status_code == 302
    assert [c.name for c in team.contacts.order_by("order")] == [
        "Acute oncology 24-hour line",
        "Immunotherapy nurse specialist",
        "On-call oncology registrar",
    ]


def test_it_refuses_two_contacts_with_one_order_even_an_inactive_one(admin_client_, team):
    Contact.objects.filter(pk=team.contacts_by_role["registrar"].pk).update(active=False)

    response = edit(admin_client_, team, {"Acute oncology 24-hour line": {"order": 3}})

    assert response.status_code == 400
    assert "Two contacts (active or not) have the same order" in response.text
    assert team.contacts.get(order=2).name == "Acute oncology 24-hour line"


def test_a_new_sms_number_mends_a_failing_channel(admin_client_, team):
    line = team.contacts_by_role["line"]
    BrokenChannel.objects.create(contact=line, channel="sms", error="HTTP 400 invalid number")
    page = admin_client_.get(edit_url(team))
    assert "Failing since" in page.text

    response = admin_client_.post(
        edit_url(team),
        submitted(page, {"Acute oncology 24-hour line": {"sms_number": "+447700900998"}}),
    )

    assert response.status_code == 302
    assert not BrokenChannel.objects.filter(contact=line).exists()


def test_it_refuses_a_new_contact_whose_place_was_taken_meanwhile(admin_client_, team):
    page = admin_client_.get(edit_url(team))
    # Meanwhile, in the Django admin: a contact takes the place the blank row offers.
    Contact.objects.create(
        team=team,
        name="Ward sister",
        phone="020 7946 0666",
        email="ward@example.org",
        handles_amber=True,
        order=4,
    )
    data = submitted(
        page,
        {"Immunotherapy nurse specialist": {"phone": "020 7946 0111"}},
        new={
            "name": "Weekend nurse",
            "phone": "020 7946 0444",
            "email": "we@example.org",
            "handles_amber": True,
        },
    )

    response = admin_client_.post(edit_url(team), data)

    assert response.status_code == 400
    assert "changed elsewhere while you were editing" in response.text
    assert not team.contacts.filter(name="Weekend nurse").exists()
    assert team.contacts.get(order=1).phone == "020 7946 0101"


def test_previewing_shows_the_list_as_submitted_and_saves_nothing(admin_client_, team):
    before = saved_list(team)

    with time_machine.travel(TUESDAY_10, tick=False):
        response = edit(
            admin_client_,
            team,
            {"Immunotherapy nurse specialist": {"active": False}},
            button="preview",
        )

    assert response.status_code == 200
    assert response.context["previewing"] is True
    assert "It is not saved yet" in response.text
    assert preview_rows(response)[0] == (
        "Now",
        "Tue 24 Nov 10:00 GMT",
        "Acute oncology 24-hour line",
        "Acute oncology 24-hour line",
    )
    assert saved_list(team) == before


# Who would be alerted


def test_the_preview_in_london(nurse_client, team):
    with time_machine.travel(TUESDAY_10, tick=False):
        page = nurse_client.get(contacts_url(team))

    assert preview_rows(page) == [
        (
            "Now",
            "Tue 24 Nov 10:00 GMT",
            "Immunotherapy nurse specialist",
            "Immunotherapy nurse specialist",
        ),
        (
            "Tonight, 02:00",
            "Wed 25 Nov 02:00 GMT",
            "Acute oncology 24-hour line",
            "Acute oncology 24-hour line",
        ),
        (
            "Saturday, 14:00",
            "Sat 28 Nov 14:00 GMT",
            "Acute oncology 24-hour line",
            "Acute oncology 24-hour line",
        ),
        (
            "Monday, 09:00",
            "Mon 30 Nov 09:00 GMT",
            "Immunotherapy nurse specialist",
            "Immunotherapy nurse specialist",
        ),
    ]
    assert "Wed 25 Nov, 02:00 GMT" in page.text
    assert "red: first contact on duty that handles red" in page.text


def test_amber_waits_for_the_weekday_contact_when_only_they_take_amber(nurse_client, team):
    Contact.objects.filter(name="Acute oncology 24-hour line").update(handles_amber=False)

    with time_machine.travel(TUESDAY_10, tick=False):
        page = nurse_client.get(contacts_url(team))

    saturday = page.context["preview"][2]
    assert saturday.red.contact.name == "Acute oncology 24-hour line"
    assert saturday.amber.contact.name == "Immunotherapy nurse specialist"
    assert saturday.amber.deliver_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert "waits until Mon 30 Nov 09:00 GMT" in saturday.amber.reason
    assert "delivered Mon 30 Nov, 09:00 GMT" in page.text
    tonight = page.context["preview"][1]
    assert tonight.amber.deliver_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_the_preview_in_a_new_york_team(admin_client_, other_team):
    with time_machine.travel(TUESDAY_10, tick=False):  # 05:00 in New York
        page = admin_client_.get(contacts_url(other_team))

    assert preview_rows(page) == [
        (
            "Now",
            "Tue 24 Nov 05:00 EST",
            "Acute oncology 24-hour line",
            "Acute oncology 24-hour line",
        ),
        (
            "Tonight, 02:00",
            "Wed 25 Nov 02:00 EST",
            "Acute oncology 24-hour line",
            "Acute oncology 24-hour line",
        ),
        (
            "Saturday, 14:00",
            "Sat 28 Nov 14:00 EST",
            "Acute oncology 24-hour line",
            "Acute oncology 24-hour line",
        ),
        (
            "Monday, 09:00",
            "Mon 30 Nov 09:00 EST",
            "Immunotherapy nurse specialist",
            "Immunotherapy nurse specialist",
        ),
    ]
    assert "America/New_York" in page.text
    assert "Tue 24 Nov, 05:00 EST" in page.text  # not the viewer's London time


def test_the_preview_is_shown_on_the_editor_for_the_list_as_saved(admin_client_, team):
    with time_machine.travel(TUESDAY_10, tick=False):
        page = admin_client_.get(edit_url(team))

    assert page.context["previewing"] is False
    assert preview_rows(page)[1][2] == "Acute oncology 24-hour line"


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        # 01:00 on a Saturday: tonight's 02:00 is in an hour, Saturday 14:00 is today.
        (
            datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
            LONDON,
            ["Sat 28 Nov 01:00", "Sat 28 Nov 02:00", "Sat 28 Nov 14:00", "Mon 30 Nov 09:00"],
        ),
        # Saturday 15:00: next Saturday's 14:00; Monday 09:00 exactly: next Monday's.
        (
            datetime(2026, 11, 28, 15, 0, tzinfo=UTC),
            LONDON,
            ["Sat 28 Nov 15:00", "Sun 29 Nov 02:00", "Sat 05 Dec 14:00", "Mon 30 Nov 09:00"],
        ),
        (
            datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
            LONDON,
            ["Mon 30 Nov 09:00", "Tue 01 Dec 02:00", "Sat 05 Dec 14:00", "Mon 07 Dec 09:00"],
        ),
        # New York springs forward at 02:00 on 8 March 2026: that 02:00 is read as 03:00.
        (
            datetime(2026, 3, 8, 5, 30, tzinfo=UTC),
            NEW_YORK,
            ["Sun 08 Mar 00:30", "Sun 08 Mar 03:00", "Sat 14 Mar 14:00", "Mon 09 Mar 09:00"],
        ),
    ],
)
def test_the_preview_instants_are_the_next_ones_on_the_teams_clock(now, tz, expected):
    instants = preview_instants(now, tz)

    assert [at.astimezone(tz).strftime("%a %d %b %H:%M") for _, at in instants] == expected
    assert all(at.tzinfo is UTC for _, at in instants)


@pytest.mark.parametrize(
    "url", ["http://chat.example.test/hook", "ftp://10.0.0.1/x", "gopher://169.254.169.254/"]
)
def test_a_webhook_address_must_be_https(coordinator_client, team, url):
    before = saved_list(team)

    response = edit(
        coordinator_client, team, {"Immunotherapy nurse specialist": {"webhook_url": url}}
    )

    assert response.status_code == 400
    nurse_form = response.context["formset"].forms[0]
    assert "Enter an https:// address" in nurse_form.errors["webhook_url"][0]
    assert saved_list(team) == before


def test_a_webhook_address_without_a_scheme_is_read_as_https(coordinator_client, team):
    response = edit(
        coordinator_client,
        team,
        {"Immunotherapy nurse specialist": {"webhook_url": "chat.example.test/hook"}},
    )

    assert response.status_code == 302
    nurse = team.contacts.get(name="Immunotherapy nurse specialist")
    assert nurse.webhook_url == "https://chat.example.test/hook"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.20.0.5/page",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",  # a name that resolves to loopback
    ],
)
def test_a_webhook_on_a_private_or_local_network_is_refused_when_saved(
    coordinator_client, team, url
):
    """The worker refuses such an address when it sends (alerts/channels/http.py): the
    coordinator is told at once, rather than finding the channel broken later."""
    before = saved_list(team)

    response = edit(
        coordinator_client, team, {"Immunotherapy nurse specialist": {"webhook_url": url}}
    )

    assert response.status_code == 400
    nurse_form = response.context["formset"].forms[0]
    assert "private or local network" in nurse_form.errors["webhook_url"][0]
    assert saved_list(team) == before


def test_a_webhook_in_a_network_the_operator_allowed_is_saved(coordinator_client, team, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16"]

    response = edit(
        coordinator_client,
        team,
        {"Immunotherapy nurse specialist": {"webhook_url": "https://10.20.0.5/page"}},
    )

    assert response.status_code == 302
    assert team.contacts.get(name="Immunotherapy nurse specialist").webhook_url == (
        "https://10.20.0.5/page"
    )


# Text from outside: a relay's reply, an address, a name


MARKUP_ADDRESS = '"<a/href=//evil.example/relogin>Session_expired</a>"@example.org'
RELAY_REPLY = f"550 5.1.1 <{MARKUP_ADDRESS}>: <b>Recipient address rejected</b>"


def test_a_failing_channels_error_is_shown_as_text_in_the_editor(admin_client_, team):
    """The relay's reply quotes the address typed into the list: it is shown, never run."""
    nurse = team.contacts_by_role["nurse"]
    Contact.objects.filter(pk=nurse.pk).update(email=MARKUP_ADDRESS)
    BrokenChannel.objects.create(contact=nurse, channel="email", error=RELAY_REPLY)

    page = admin_client_.get(edit_url(team))

    assert page.status_code == 200
    assert "<a/href=//evil.example" not in page.text
    assert "<b>Recipient" not in page.text
    assert escape(RELAY_REPLY) in page.text  # in the email field's help text
    assert "Correct the address to try it again." in page.text


def test_a_failing_channels_error_is_shown_as_text_on_the_list(nurse_client, team):
    nurse = team.contacts_by_role["nurse"]
    Contact.objects.filter(pk=nurse.pk).update(email=MARKUP_ADDRESS)
    BrokenChannel.objects.create(contact=nurse, channel="email", error=RELAY_REPLY)

    page = nurse_client.get(contacts_url(team))

    assert "<a/href=//evil.example" not in page.text and "<b>Recipient" not in page.text
    assert escape(RELAY_REPLY) in page.text
    assert escape(MARKUP_ADDRESS) in page.text


@pytest.mark.parametrize(
    "name", ["Night\nline", "Night\rline", "Night\tline", "Night\x1bline", "Night\u2028line"]
)
def test_a_contacts_name_with_a_control_character_is_refused(coordinator_client, team, name):
    before = saved_list(team)

    response = edit(coordinator_client, team, {"Immunotherapy nurse specialist": {"name": name}})

    assert response.status_code == 400
    nurse_form = response.context["formset"].forms[0]
    assert "line breaks, tabs or other control characters" in nurse_form.errors["name"][0]
    assert saved_list(team) == before
