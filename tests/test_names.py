"""Names refuse control characters wherever they are typed: a newline in a name ends up
in an email's header (a carer's invitation is from the patient by name) and breaks it.

The rule is one validator (base/validators.py); each form that takes a name uses it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from base.validators import validate_name
from patients.models import CareTeam, Contact

REFUSED = "line breaks, tabs or other control characters"

CONTROL = [
    "Alice\nMorgan",
    "Alice\r\nBcc: eve@example.org",
    "Alice\rMorgan",
    "Alice\tMorgan",
    "Alice\x00",
    "Alice\x1b[31m",
    "Alice\x7f",
    "Alice\x85Morgan",  # NEXT LINE, a line break to str.splitlines
    "Alice\u2028Morgan",  # LINE SEPARATOR
    "Alice\u2029Morgan",  # PARAGRAPH SEPARATOR
    "Alice\u202eenagroM",  # RIGHT-TO-LEFT OVERRIDE: shows the name backwards
]

FINE = [
    "Alice Morgan",
    "Zoë O'Brien-Smith",
    "José María de la Cruz",
    "Nguyễn Thị Minh Khai",
    "\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627",  # Persian, with a ZERO WIDTH NON-JOINER
    "李小龙",
    "",
]


@pytest.mark.parametrize("name", CONTROL)
def test_the_validator_refuses_control_characters(name):
    with pytest.raises(ValidationError, match=REFUSED):
        validate_name(name)


@pytest.mark.parametrize("name", FINE)
def test_the_validator_accepts_names_in_any_script(name):
    validate_name(name)


# The admin: a person's names, a care team's and a contact's


def user_change_data(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **changes,
    }
    return data


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_the_admin_refuses_a_patients_name_with_a_newline(admin_client_, patient, field):
    user = patient.user
    url = reverse("admin:auth_user_change", args=[user.pk])

    response = admin_client_.post(url, user_change_data(user, **{field: "Alice\nMorgan"}))

    assert response.status_code == 200
    assert REFUSED in response.text
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Alice", "Morgan")


def test_the_admin_still_saves_a_name_without_control_characters(admin_client_, patient):
    user = patient.user
    url = reverse("admin:auth_user_change", args=[user.pk])

    response = admin_client_.post(url, user_change_data(user, first_name="Zoë"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert get_user_model().objects.get(pk=user.pk).first_name == "Zoë"


def test_the_admin_refuses_a_care_teams_name_with_a_newline(admin_client_):
    from .alerts.test_admin import team_form

    response = admin_client_.post(
        reverse("admin:patients_careteam_add"),
        team_form("Day\nunit", {"name": "24-hour line", "always_on_duty": True}),
    )

    assert response.status_code == 200
    assert REFUSED in response.text
    assert not CareTeam.objects.filter(name__startswith="Day").exists()


def test_the_admin_refuses_a_contacts_name_with_a_newline(admin_client_, team):
    from .alerts.test_admin import change_url, contact_form

    nurse = team.contacts_by_role["nurse"]

    response = admin_client_.post(change_url(nurse), contact_form(nurse, name="Night\nline"))

    assert response.status_code == 200
    assert REFUSED in response.text
    assert Contact.objects.get(pk=nurse.pk).name == "Immunotherapy nurse specialist"


def test_the_admin_refuses_a_new_contact_with_a_newline_on_the_teams_page(admin_client_):
    from .alerts.test_admin import team_form

    response = admin_client_.post(
        reverse("admin:patients_careteam_add"),
        team_form("Day unit", {"name": "24-hour\nline", "always_on_duty": True}),
    )

    assert response.status_code == 200
    assert REFUSED in response.text
    assert not CareTeam.objects.filter(name="Day unit").exists()


def test_a_carers_name_with_a_newline_is_refused_when_invited(patient_client, patient):
    from patients.models import Carer

    response = patient_client.post(
        reverse("patients:carers"), {"name": "Sam\r\nBcc: eve@example.org", "email": "s@e.org"}
    )

    assert REFUSED in response.text
    assert not Carer.objects.exists()


def test_a_patient_named_with_a_newline_before_the_rule_still_invites_a_carer(
    patient_client, patient, mailoutbox
):
    """A name saved before names refused control characters: no server error
    (BadHeaderError), and the subject holds no line break."""
    get_user_model().objects.filter(pk=patient.user_id).update(first_name="Ali\nce")

    response = patient_client.post(
        reverse("patients:carers"), {"name": "Sam Carter", "email": "sam@example.org"}, follow=True
    )

    assert response.status_code == 200
    (sent,) = mailoutbox
    assert "\n" not in sent.subject and "Ali ce" in sent.subject
