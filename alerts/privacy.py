"""What alerts holds about a patient, for their export and their erasure
(patients/privacy.py): the alerts raised about their check-ins and each message of
them. Contacts are the care team's, shown by name.

Each notification's message carries the key `notification-<id>` (its email's
X-Idempotency-Key, its line of SMS_FILE: alerts/services/delivery.py): the erasure
removes those messages from the development files once it commits. Its acknowledge
link names the notification, so it is dead once the notification is deleted: it
then gets the 404 of a link that is not valid.

The care team's figures (`TeamDay`, one row a team a day) hold the ids of the
patients who checked in each day, to count them once over 30 days: when a patient
is deleted (erased, or deleted by an admin), their id is taken out of those rows in
the same transaction. The rows' counts stay: numbers that name nobody.
"""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from patients.models import Patient
from patients.privacy import PersonalData, Table

from .models import Alert, DeliveryAttempt, Notification, PhoneCall
from .services.figures import forget_patient


def tables(patient: Patient, when) -> list[Table]:
    alerts = (
        Alert.objects.filter(check_in__patient=patient)
        .with_answered_at()
        .select_related("contact")
        .order_by("created_at", "pk")
    )
    notifications = (
        Notification.objects.filter(alert__check_in__patient=patient)
        .select_related("contact")
        .order_by("created_at", "pk")
    )
    return [
        Table(
            "alerts",
            "Alerts sent to your care team about a check-in",
            [
                {
                    "alert": a.pk,
                    "check_in": a.check_in_id,
                    "urgency": a.get_urgency_display(),
                    "raised_at": when(a.created_at),
                    "sent_to": a.contact.name,
                    "why_them": a.routing_reason,
                    "passed_on_times": a.level,
                    "seen_at": when(a.answered_at),
                }
                for a in alerts
            ],
        ),
        Table(
            "alert_messages",
            "Each message of those alerts: to whom, how, and whether it went",
            [
                {
                    "alert": n.alert_id,
                    "to": n.contact.name,
                    "by": n.get_channel_display(),
                    "status": n.get_status_display(),
                    "sent_at": when(n.sent_at),
                }
                for n in notifications
            ],
        ),
        Table(
            "phone_calls",
            "Phone calls with your care team recorded as a check-in",
            [
                {
                    "check_in": c.check_in_id,
                    "at": when(c.at),
                    "result_worked_out": c.get_engine_urgency_display(),
                    "outcome": c.get_urgency_display(),
                    "reason_for_a_lower_outcome": c.override_reason,
                    "advice_given": c.get_advice_display(),
                    "note": c.note,
                }
                for c in PhoneCall.objects.filter(check_in__patient=patient).order_by("at", "pk")
            ],
        ),
    ]


def records(patient: Patient) -> list[tuple[type, object]]:
    return [
        (Alert, Alert.objects.filter(check_in__patient=patient)),
        (Notification, Notification.objects.filter(alert__check_in__patient=patient)),
        (
            DeliveryAttempt,
            DeliveryAttempt.objects.filter(notification__alert__check_in__patient=patient),
        ),
        (PhoneCall, PhoneCall.objects.filter(check_in__patient=patient)),
    ]


def message_keys(patient: Patient) -> list[str]:
    """The idempotency keys of the alert messages about the patient, as delivery
    gives them."""
    notifications = Notification.objects.filter(alert__check_in__patient=patient)
    return [f"notification-{pk}" for pk in notifications.values_list("pk", flat=True)]


PERSONAL_DATA = PersonalData(tables=tables, records=records, message_keys=message_keys)


@receiver(post_delete, sender=Patient, dispatch_uid="alerts.privacy.forget_in_figures")
def forget_in_figures(sender, instance, **kwargs):
    """A deleted patient's id leaves the care teams' per-day figures."""
    forget_patient(instance.pk)
