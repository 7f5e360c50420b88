"""What patients announces to the apps above it, which patients does not know.

check_in_recorded: a check-in was saved (sent once it is written, with
`check_in`). alerts queues the worker's evaluation of it on commit
(alerts/receivers.py); should that be lost, the outbox sweep finds the
check-in unevaluated and queues it again.
"""

from django.dispatch import Signal

check_in_recorded = Signal()
