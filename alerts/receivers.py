"""What alerts does when patients announces something (patients/signals.py)."""

from django.dispatch import receiver

from base.queues import ALERTS
from base.tasks import queue_after_commit, queue_in_batch_after_commit
from clinical.urgency import GREEN
from patients.models import CheckIn
from patients.signals import SmsNotSent, check_in_recorded, text_patient

from .channels import ChannelError, Message
from .channels.sms import sms_channel
from .services.delivery import queue_for
from .services.flagging import flag_check_in, flag_check_ins


@receiver(check_in_recorded, sender=CheckIn)
def evaluate_recorded_check_in(sender, check_in, **kwargs):
    """A worker evaluates each check-in once it is committed: its flags, its alert (the
    request already showed the patient their advice, from the same engine). The
    request's judgement picks the queue: a red or emergency check-in is evaluated on
    the urgent queue, never behind a backlog of green ones; a green one, which
    almost never makes a flag, in a batch with the other green ones (base.tasks)."""
    if check_in.urgency == GREEN:
        queue_in_batch_after_commit(flag_check_ins, check_in.pk, queue=ALERTS)
    else:
        queue_after_commit(flag_check_in, check_in.pk, queue=queue_for(check_in.urgency))


@receiver(text_patient)
def text_a_patient(sender, to, body, key, **kwargs):
    """A text to a patient (their daily reminder) over the SMS channel the alerts use;
    a ChannelError becomes patients' SmsNotSent, permanent or not as it was."""
    try:
        sms_channel().deliver(to, Message(subject="", body=body, short=body), idempotency_key=key)
    except ChannelError as exc:
        raise SmsNotSent(str(exc), permanent=exc.permanent) from exc
