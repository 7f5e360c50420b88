"""Flagging: the worker's evaluation of a check-in, its flags and episodes, and the
alert it raises.

The worker runs the same pure engine as the request that showed the patient their
advice (patients.services.check_ins.evaluate), on the same rows. A check-in is
claimed once (evaluated_at), and its flags, alert and notifications are written in
one transaction; the notifications due now are queued on its commit.
"""

import logging

from django.db import connection, transaction
from django.utils import timezone

from base.rows import execute_prepared, insert
from clinical.routing import ESCALATE_AFTER
from clinical.urgency import RANK, highest, routed_as
from patients.models import OPEN, RESOLVED, CheckIn, Contact, Episode, Flag, Patient
from patients.services.advice import route_for
from patients.services.check_ins import claim_for_evaluation, claim_many_for_evaluation

from ..models import Alert
from . import phone
from .delivery import notify

log = logging.getLogger(__name__)


def flag_check_in(check_in_id: int, *, now=None) -> list[int]:
    """Create a check-in's flags, its alert and the alert's notifications, once.

    1. Claim the check-in (evaluated_at from NULL to now); a second run stops here.
    2. Evaluate it with the engine; write a flag per finding at amber or above,
       and the worker's verdict on the check-in.
    3. Raise its alert (raise_alert).
    Returns the ids of the notifications written.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = claim_for_evaluation(check_in_id, now=now)
        if claimed is None:
            return []
        return _record_verdict(*claimed, now=now)


def flag_check_ins(check_in_ids: list[int], *, now=None) -> list[int]:
    """flag_check_in for several check-ins in one transaction: claimed and read
    together (claim_many_for_evaluation: two queries however many), each verdict
    written as flag_check_in writes it. The worker's batches of check-ins the
    request judged green (alerts.tasks.evaluate_check_ins), which almost always
    write nothing more. Returns the ids of the notifications written."""
    now = now or timezone.now()
    notified = []
    with transaction.atomic():
        for check_in, evaluation in claim_many_for_evaluation(check_in_ids, now=now):
            notified += _record_verdict(check_in, evaluation, now=now)
    return notified


def _record_verdict(check_in: CheckIn, evaluation, *, now) -> list[int]:
    """Steps 2 and 3 of flag_check_in for a check-in just claimed, in the claim's
    transaction: its flags, its verdict, its alert; the notifications written."""
    # The episodes its flags may join, locked in one order (as escalation locks
    # them), before any is changed.
    symptoms = [f.symptom for f in evaluation.alerting_findings]
    if not symptoms:
        # Nothing to flag (almost every check-in): only the verdict, if it changed.
        # (Building the locking query below for no symptom cost the worker more than
        # judging the check-in.)
        _record_urgency(check_in, evaluation)
        return []
    # The patient's team, read under the lock a move to another team takes
    # (Patient.save updates the row, then its episodes): a new episode gets
    # the team the patient is in, and a move waits for it and takes it along.
    check_in.patient.care_team_id = _locked_team(check_in.patient_id)
    open_episodes: dict[str, Episode] = {}
    for episode in _locked_open_episodes(check_in.patient_id, symptoms):
        open_episodes.setdefault(episode.symptom, episode)
    any_alerted = False
    for finding in evaluation.alerting_findings:
        episode, alerted = _episode_for(check_in.patient, finding, now, open_episodes)
        flag = Flag(
            check_in=check_in,
            episode=episode,
            alerted=alerted,
            symptom=finding.symptom,
            urgency=finding.urgency,
            rule=finding.rule,
            raised_by=",".join(finding.raised_by),
            rule_set=evaluation.rule_set,
            explanation=finding.explanation[:300],
            created_at=now,
        )
        insert(flag)  # a statement written once (a check-in's flags are written here only)
        episode.took(flag)  # the queue's row: its newest flag, one more check-in
        any_alerted = any_alerted or alerted
    # A clinician's phone call: its outcome on the episodes, which its caller
    # acknowledges (nobody is paged about a patient on the phone already).
    phone.record_call_outcome(check_in, open_episodes.values(), now=now)
    _record_urgency(check_in, evaluation)
    if not any_alerted:
        # Its flags are the only ones it has (they are written under the claim
        # just taken) and none alerts: raise_alert would find nothing to raise.
        return []
    return raise_alert(check_in, now=now)


# The worker writes a red check-in's flags on the urgent queue: its reads and writes
# are statements written once (base.rows), not queries the ORM builds anew each time,
# which cost the worker more than the rest of the evaluation.


def _locked_team(patient_id: int) -> int:
    """The patient's team, read under the lock a move to another team takes."""
    quote, meta = connection.ops.quote_name, Patient._meta
    read = f"SELECT {quote(meta.get_field('care_team').column)} FROM {quote(meta.db_table)}"  # noqa: S608 - names only
    lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else ""
    sql = f"{read} WHERE {quote(meta.pk.column)} = %s{lock}"
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, [patient_id], said=f"{read}{lock}")
        return cursor.fetchone()[0]


def _locked_open_episodes(patient_id: int, symptoms: list[str]):
    """The patient's episodes of `symptoms` not resolved, locked, in id order (the
    order escalation locks them in)."""
    quote, meta = connection.ops.quote_name, Episode._meta
    column = {name: quote(meta.get_field(name).column) for name in ("patient", "symptom", "status")}
    sql = (
        f"SELECT * FROM {quote(meta.db_table)} WHERE {column['patient']} = %s "  # noqa: S608 - names only
        f"AND {column['symptom']} IN ({', '.join(['%s'] * len(symptoms))}) "
        f"AND {column['status']} <> %s ORDER BY {quote(meta.pk.column)}"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return Episode.objects.raw(sql, [patient_id, *symptoms, RESOLVED])


def _record_urgency(check_in: CheckIn, evaluation) -> None:
    """The worker's verdict on the check-in, where it differs from the request's."""
    if check_in.urgency != evaluation.urgency:
        check_in.urgency = evaluation.urgency
        check_in.save(update_fields=["urgency"])


def _episode_for(patient, finding, now, open_episodes: dict) -> tuple[Episode, bool]:
    """The open episode a finding belongs to, and whether it alerts.

    `open_episodes`: the patient's open episodes of the check-in's symptoms, by
    symptom, locked already (a new one is added to it). No open episode for the
    symptom: a new one, which alerts. An open one at a lower urgency: raised (and
    open again until acknowledged), which alerts. At the same or a higher urgency:
    the finding joins it and alerts nobody.
    """
    episode = open_episodes.get(finding.symptom)
    if episode is None:
        episode = open_episodes[finding.symptom] = Episode.objects.create(
            patient=patient, symptom=finding.symptom, urgency=finding.urgency, opened_at=now
        )
        return episode, True
    if RANK[finding.urgency] > RANK[episode.urgency]:
        # Open again, to be acknowledged again; its acknowledgements so far stay.
        episode.urgency, episode.status = finding.urgency, OPEN
        episode.save(update_fields=["urgency", "status"])
        return episode, True
    return episode, False


def raise_alert(check_in: CheckIn, *, now) -> list[int]:
    """Route an evaluated check-in at amber or above; write its alert and notifications.

    Writes one notification per channel of the routed contact and queues, on
    commit, those due now (an amber alert with nobody on duty waits for the sweep
    at the contact's hours). The alert's urgency is the highest of the flags that
    alert (new or raised episodes); flags that joined an open episode alert
    nobody. Nothing to do without such flags or with an alert already raised.
    When nobody can be routed (a contact list an admin broke), the flags are in
    the queue all the same and the sweep tries again until the list is mended.
    """
    alerting = list(check_in.flags.filter(alerted=True).unseen().values_list("urgency", flat=True))
    if not alerting or Alert.objects.filter(check_in=check_in).exists():
        return []
    urgency = highest(alerting)
    chosen = route_for(check_in.patient, urgency, now)
    if chosen is None:
        log.error("no contact to alert for check-in %s (%s)", check_in.pk, urgency)
        return []
    alert = Alert.objects.create(
        check_in=check_in,
        urgency=urgency,
        contact_id=chosen.contact.ref,
        routing_reason=chosen.reason[:200],
        created_at=now,
        escalate_at=chosen.deliver_at + ESCALATE_AFTER[routed_as(urgency)],
    )
    CheckIn.objects.filter(pk=check_in.pk).update(alerted_at=now)  # for the patient's page
    return notify(alert, Contact.objects.get(pk=chosen.contact.ref), chosen.deliver_at, now)
