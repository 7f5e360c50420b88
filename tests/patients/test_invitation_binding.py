"""A carer's invitation is for the person it was sent to (issue 12, item 1).

Alice invites "Eve, eve2@example.org". Only Eve can accept: an account whose email is
the invitation's, in any case, or a new account made through the link, whose email is
the invitation's. Anyone else who opens the link is told it was sent to someone else,
is offered a way to log out and open it again, and nothing changes. Staff, clinicians
and patients never become carers, and a patient is never their own carer.
"""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.invitations import carer_invitation_url, mask_email
from patients.models import Carer

from ..conftest import login
from ..factories import PatientFactory, UserFactory, add_member

PASSWORD = "a-long-carer-password-9"


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def invitation(patient):
    """Alice has invited Eve; Eve has not answered yet."""
    return Carer.objects.create(patient=patient, name="Eve", email="eve2@example.org")


@pytest.fixture
def link(invitation) -> str:
    return path_of(carer_invitation_url(invitation))


def unchanged(invitation) -> bool:
    invitation.refresh_from_db()
    return invitation.user_id is None and invitation.accepted_at is None


# Someone else opens Eve's link


def other_patients_carer(other_patient):
    user = UserFactory(username="carl", first_name="Carl")
    Carer.objects.create(
        patient=other_patient,
        name="Carl",
        email=user.email,
        user=user,
        accepted_at=timezone.now(),
    )
    return user


def clinician(team):
    user = UserFactory(username="nina")
    add_member(team, user)
    return user


OTHERS = {
    "another patient": lambda patient, other_patient: other_patient.user,
    "another patient's carer": lambda patient, other_patient: other_patients_carer(other_patient),
    "the patient's own carer": lambda patient, other_patient: (
        Carer.objects.create(
            patient=patient,
            name="Cara",
            email="cara@example.org",
            user=UserFactory(username="cara"),
            accepted_at=timezone.now(),
        ).user
    ),
    "a clinician of the team": lambda patient, other_patient: clinician(patient.care_team),
    "a staff admin": lambda patient, other_patient: UserFactory(
        username="root", is_staff=True, is_superuser=True
    ),
    "an account with another email": lambda patient, other_patient: UserFactory(username="mo"),
}


@pytest.mark.parametrize("who", OTHERS)
def test_it_refuses_anyone_whose_email_is_not_the_invitations(
    client, patient, other_patient, invitation, link, who
):
    user = OTHERS[who](patient, other_patient)
    login(client, user)

    page = client.get(link)
    answer = client.post(link)

    for response in (page, answer):
        assert response.status_code == 400
        assert "This invitation was sent to someone else" in response.text
        assert "e***@e***.org" in response.text  # enough for Eve to know it is hers
        assert "eve2@example.org" not in response.text
        assert f'name="next" value="{link}"' in response.text  # log out, open it again
        assert "Accept as" not in response.text
    assert unchanged(invitation)
    assert not Carer.objects.filter(user=user, patient=patient, email="eve2@example.org").exists()


def test_it_no_longer_lets_another_patients_carer_take_the_invitation(
    client, patient, other_patient, invitation, link
):
    """The break reproduced: Carl, Bob's carer, accepted Eve's invitation to Alice."""
    carl = other_patients_carer(other_patient)
    login(client, carl)

    client.post(link)

    assert unchanged(invitation)
    client.logout()
    page = login(client, patient.user).get(reverse("patients:carers"))
    assert "Has access" not in page.text and "not accepted yet" in page.text


@pytest.mark.parametrize("role", ["staff", "clinician", "patient"])
def test_it_never_makes_staff_clinicians_or_patients_carers_even_with_the_invited_email(
    client, patient, invitation, link, role
):
    user = UserFactory(username="eve", email="Eve2@Example.org", is_staff=role == "staff")
    if role == "clinician":
        add_member(patient.care_team, user)
    if role == "patient":
        PatientFactory(care_team=patient.care_team, user=user)
    login(client, user)

    page = client.get(link)
    client.post(link)

    assert page.status_code == 400
    assert "cannot also be a carer" in page.text
    assert "Ask Alice to invite you at another email address" in page.text
    assert "Accept as" not in page.text
    assert unchanged(invitation)


def test_it_never_makes_a_patient_their_own_carer(client, patient, invitation, link):
    login(client, patient.user)

    page = client.get(link)
    client.post(link)

    assert page.status_code == 400
    assert "You sent this invitation to Eve" in page.text
    assert unchanged(invitation)


def test_a_patient_cannot_invite_themselves_under_their_username(patient_client, patient):
    patient.user.username = "alice@example.net"
    patient.user.save()

    response = patient_client.post(
        reverse("patients:carers"), {"name": "Me", "email": "Alice@Example.net"}
    )

    assert "That is your own email address" in response.text
    assert not Carer.objects.exists()


@pytest.mark.parametrize("state", ["revoked_at", "accepted_at"])
def test_someone_else_learns_nothing_of_the_invitations_state(
    client, other_patient, invitation, link, state
):
    Carer.objects.filter(pk=invitation.pk).update(**{state: timezone.now()})
    login(client, other_patients_carer(other_patient))

    page = client.get(link)

    assert page.status_code == 400
    assert "This invitation was sent to someone else" in page.text
    assert "Alice" not in page.text and "withdrawn" not in page.text


# Eve opens her link


def test_the_invitee_logged_in_with_the_invited_email_accepts_in_any_case(client, invitation, link):
    eve = UserFactory(username="eve", email="Eve2@Example.ORG")
    login(client, eve)

    assert "Accept as" in client.get(link).text
    client.post(link)

    invitation.refresh_from_db()
    assert invitation.status == "active" and invitation.user == eve


def test_a_new_account_made_through_the_link_has_the_invitations_email(client, invitation, link):
    client.post(
        link,
        {
            "name": "Eve Adams",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "email": "mallory@example.org",
            "username": "mallory",
            "is_staff": "on",
        },
    )

    invitation.refresh_from_db()
    user = invitation.user
    assert invitation.status == "active"
    assert (user.username, user.email) == ("eve2@example.org", "eve2@example.org")
    assert not (user.is_staff or user.is_superuser)


# A link that can no longer be accepted says why


def test_an_accepted_invitation_says_so(client, invitation, link):
    Carer.objects.filter(pk=invitation.pk).update(
        user=UserFactory(username="eve", email="eve2@example.org"), accepted_at=timezone.now()
    )
    page = client.get(link)
    assert page.status_code == 400
    assert "This invitation has already been accepted" in page.text


def test_a_withdrawn_invitation_says_so(client, invitation, link):
    Carer.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    page = client.get(link)
    assert page.status_code == 400
    assert "Alice has withdrawn this invitation" in page.text


def test_an_expired_invitation_says_so(client, invitation, link, settings):
    later = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS, hours=1)
    with time_machine.travel(later):
        page = client.get(link)
        client.post(link, {"name": "Eve", "password1": PASSWORD, "password2": PASSWORD})
    assert page.status_code == 400
    assert "This invitation has expired" in page.text
    assert "Ask Alice to send it again" in page.text
    assert unchanged(invitation)


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("eve2@example.org", "e***@e***.org"),
        ("Eve.Adams@mail.example.co.uk", "E***@m***.uk"),
        ("x@localhost", "x***@l***"),
    ],
)
def test_the_masked_address_keeps_a_letter_of_each_part_and_the_ending(email, masked):
    assert mask_email(email) == masked
