"""What patients announces to the apps above it, which patients does not know.

check_in_recorded: a check-in was saved (sent once it is written, with
`check_in`). alerts queues the worker's evaluation of it on commit
(alerts/receivers.py); should that be lost, the outbox sweep finds the
check-in unevaluated and queues it again.

text_patient: patients asks for a text message to a patient (their daily reminder),
with `to` (their mobile number), `body` and `key` (the same on every attempt).
alerts sends it over its SMS channel (alerts/receivers.py), which patients does not
know; a receiver that cannot send raises SmsNotSent. With no receiver, nothing can
send a text: the caller treats that as a failure too.
"""

from django.dispatch import Signal

check_in_recorded = Signal()


class SmsNotSent(Exception):
    """A text could not be sent. permanent=True: retrying will not help (a bad number)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


text_patient = Signal()
