"""The escalation trail of an episode, and recording actions."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from alerts.models import Notification
from alerts.services import delivery, escalation, flagging, triage
from alerts.timeline import episode_trail
from patients.models import Action

from ..factories import make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def minutes(n):
    return TUESDAY_10 + timedelta(minutes=n)


def test_the_trail_tells_the_whole_story_in_order(patient, nurse):
    first = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    flagging.flag_check_in(first.pk, now=TUESDAY_10)
    flag = first.flags.get()
    email = Notification.objects.get(channel="email")
    delivery.deliver_notification(email.pk, now=minutes(1))
    escalation.escalate_overdue_alerts(now=minutes(15))
    again = make_check_in(patient, at=minutes(60), stools_per_day=8)
    flagging.flag_check_in(again.pk, now=minutes(60))
    triage.acknowledge_flag(flag, nurse, now=minutes(70))
    triage.record_action(flag, nurse, kind="phoned", note="Advised to come in", now=minutes(75))
    triage.resolve_flag(flag, nurse, note="Seen in assessment unit", now=minutes(200))

    trail = episode_trail(flag.episode)

    kinds = [e.kind for e in trail]
    assert kinds[:3] == ["found", "routed", "notified"]
    assert kinds.count("notified") == 2 and kinds.count("escalated") == 2
    assert kinds[-4:] == ["joined", "acknowledged", "action", "resolved"]
    assert [e.at for e in trail] == sorted(e.at for e in trail)
    text = "\n".join(f"{e.kind}: {e.text} {e.who}" for e in trail)
    assert "stools 9/day vs baseline 1/day" in text
    assert "routed to Immunotherapy nurse specialist: red: first contact on duty" in text
    assert "escalation 1: SMS to Acute oncology 24-hour line" in text
    assert "attempt: Email to Immunotherapy nurse specialist: delivered" in text
    assert "joined the open episode, nobody alerted again" in text
    assert "action: Phoned the patient: Advised to come in" in text
    assert "resolved: Resolved: Seen in assessment unit" in text
    assert nurse.get_full_name() in text


def test_the_trail_shows_an_amber_alert_held_until_someone_is_on_duty(patient, team):
    team.contacts_by_role["line"].handles_amber = False
    team.contacts_by_role["line"].save()
    saturday = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    made = make_check_in(patient, at=saturday, stools_per_day=3)
    flagging.flag_check_in(made.pk, now=saturday)

    trail = episode_trail(made.flags.get().episode)

    assert any("held until Mon 30 Nov 09:00 GMT" in e.text for e in trail)
    assert any("waits until" in e.text for e in trail if e.kind == "routed")


def test_a_nurse_records_an_action_from_the_flag_page(nurse_client, nurse, patient):
    made = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    flagging.flag_check_in(made.pk, now=TUESDAY_10)
    flag = made.flags.get()

    response = nurse_client.post(
        reverse("alerts:action", args=[flag.pk]),
        {"kind": "steroids_started", "note": "Prednisolone 1 mg/kg", "seen": flag.pk},
        follow=True,
    )

    action = Action.objects.get()
    assert (action.kind, action.note, action.taken_by) == (
        "steroids_started",
        "Prednisolone 1 mg/kg",
        nurse,
    )
    assert "Recorded: steroids started." in response.text
    assert "Steroids started: Prednisolone 1 mg/kg" in response.text
    flag.refresh_from_db()
    assert flag.status == "acknowledged"


def test_an_action_needs_a_kind_and_another_team_gets_404(
    nurse_client, client, other_nurse, patient
):
    made = make_check_in(patient, at=TUESDAY_10, stools_per_day=9)
    flagging.flag_check_in(made.pk, now=TUESDAY_10)
    flag = made.flags.get()
    url = reverse("alerts:action", args=[flag.pk])

    assert nurse_client.post(url, {"kind": "cured", "note": ""}).status_code == 400
    assert not Action.objects.exists()

    client.force_login(other_nurse)
    assert client.post(url, {"kind": "phoned"}).status_code == 404
