"""The Celery queues, named once: settings route tasks to them, services name them
when they queue work (base.tasks.queue_after_commit), and the Procfile and
docs/DEPLOY.md give each its own workers.

- URGENT: a red or emergency check-in's evaluation, its alert's deliveries, and the
  escalation run. Small and time-critical; its workers take nothing else, so no
  backlog elsewhere delays them.
- ALERTS: green and amber evaluations, amber deliveries.
- REMINDERS: check-in reminders and password-reset emails.
- EXPORTS: FHIR bulk exports ($export) and their expiry sweep. Long and never urgent:
  its own workers, so that months of a team's outcomes written to files delay
  neither an alert nor a password-reset email.

This module imports nothing, so that settings may read it.
"""

URGENT = "urgent"
ALERTS = "alerts"
REMINDERS = "reminders"
EXPORTS = "exports"
# Most urgent first: the order a worker that takes several should list them in.
QUEUES = (URGENT, ALERTS, REMINDERS, EXPORTS)
