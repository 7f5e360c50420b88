"""The alerts app's services, a module a job: flagging a check-in and raising its alert
(flagging), delivering notifications (delivery), escalating unacknowledged alerts
(escalation), the outbox sweep (sweep), and the care team's triage actions (triage).
Tasks (alerts/tasks.py) and views call them; they queue work with
base.tasks.queue_after_commit."""
