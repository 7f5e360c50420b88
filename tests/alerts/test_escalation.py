"""Escalation: an unacknowledged alert moves down the chain; acknowledging stops it."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail

from alerts.models import Alert, Notification
from alerts.services import escalation, flagging, triage

from ..factories import make_check_in

TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def red_alert(patient, at=TUESDAY_10):
    check_in = make_check_in(patient, at=at, stools_per_day=9)
    flagging.flag_check_in(check_in.pk, now=at)
    return Alert.objects.get(check_in=check_in)


def test_a_red_alert_unacknowledged_for_15_minutes_goes_to_the_next_contact(patient, team):
    alert = red_alert(patient)

    assert escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=14)) == 0
    moved = escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=15))

    alert.refresh_from_db()
    assert moved == 1
    assert alert.contact == team.contacts_by_role["line"] and alert.level == 1
    assert alert.escalate_at == TUESDAY_10 + timedelta(minutes=30)
    to_line = Notification.objects.filter(alert=alert, contact=team.contacts_by_role["line"])
    assert sorted(n.channel for n in to_line) == ["email", "sms"]
    assert {n.level for n in to_line} == {1}


def test_it_keeps_escalating_down_the_chain_and_waits_at_its_end(patient, team):
    alert = red_alert(patient)

    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=15))
    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=30))
    alert.refresh_from_db()
    assert alert.contact == team.contacts_by_role["registrar"] and alert.level == 2

    # Nobody further: it stays with the registrar, is not counted as an escalation,
    # and is looked at again after another window.
    assert escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(minutes=45)) == 0
    alert.refresh_from_db()
    assert alert.contact == team.contacts_by_role["registrar"] and alert.level == 2
    assert alert.escalate_at == TUESDAY_10 + timedelta(minutes=60)
    assert Notification.objects.filter(alert=alert).count() == 6


def test_acknowledging_stops_escalation(patient, team, nurse):
    alert = red_alert(patient)

    triage.acknowledge_flag(
        alert.check_in.flags.get(), nurse, now=TUESDAY_10 + timedelta(minutes=5)
    )

    assert escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(hours=1)) == 0
    alert.refresh_from_db()
    assert alert.level == 0 and alert.contact == team.contacts_by_role["nurse"]


def test_escalation_skips_contacts_that_are_off_duty_or_do_not_handle_the_urgency(patient, team):
    # An amber alert in hours goes to the nurse; after 4 hours the next contact that
    # handles amber and is on duty is the 24-hour line (the registrar takes red only).
    check_in = make_check_in(patient, at=TUESDAY_10, stools_per_day=3)
    flagging.flag_check_in(check_in.pk, now=TUESDAY_10)
    alert = Alert.objects.get(check_in=check_in)
    assert alert.escalate_at == TUESDAY_10 + timedelta(hours=4)

    assert escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(hours=3, minutes=59)) == 0
    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(hours=4))

    alert.refresh_from_db()
    assert alert.contact == team.contacts_by_role["line"]
    escalation.escalate_overdue_alerts(now=TUESDAY_10 + timedelta(hours=8))
    alert.refresh_from_db()
    assert alert.contact == team.contacts_by_role["line"] and alert.level == 1
    assert alert.escalate_at == TUESDAY_10 + timedelta(hours=12)


def test_escalating_twice_at_the_same_moment_moves_the_alert_once(patient, team):
    alert = red_alert(patient)
    at = TUESDAY_10 + timedelta(minutes=15)

    escalation.escalate_overdue_alerts(now=at)
    escalation.escalate_overdue_alerts(now=at)

    alert.refresh_from_db()
    assert alert.level == 1
    assert Notification.objects.filter(alert=alert, level=1).count() == 2


def test_escalation_notifications_are_delivered(patient, team, django_capture_on_commit_callbacks):
    red_alert(patient)
    at = TUESDAY_10 + timedelta(minutes=15)

    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        escalation.escalate_overdue_alerts(now=at)

    assert [m.to for m in mail.outbox] == [["aos@example.org"]]
