"""Celery tasks of fhir: thin, take ids, call a service. Routed to the exports queue
(settings.CELERY_TASK_ROUTES), whose workers take nothing urgent."""

from celery import shared_task

from base.tasks import runs

from . import export


@runs(export.run_export)
@shared_task(acks_late=True)
def run_export(job_id: str) -> None:
    export.run_export(job_id)


@shared_task(acks_late=True)
def delete_expired_exports() -> None:
    export.delete_expired_exports()
