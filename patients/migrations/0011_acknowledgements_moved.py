"""Acknowledgement in one place: the episode (2 of 3: the data), and nothing is lost.

1. A flag made without an episode gets one: the open episode of its symptom if it is
   not resolved and there is one, else an episode of its own.
2. Every acknowledgement on record becomes a row: each distinct (episode, when, who)
   of the episodes and of the flags (and of an alert, in the rare case that no flag
   records it). It covers the episode's flags in order up to the first that was not
   yet seen when it was made, so that a flag open then stays open (flags from before
   episodes were acknowledged one by one; an acknowledgement that covers none is
   kept, covering none). Who did what when stays in the audit trail as it was.
3. A resolved episode takes its flags' resolution note (distinct notes joined).
Backwards, the flags' and episodes' fields are filled again from the rows, as the
app reads them now (alerts/migrations/0010 fills the alerts').
"""

from django.db import migrations


def move_to_episodes(apps, schema_editor):
    Flag = apps.get_model("patients", "Flag")
    Episode = apps.get_model("patients", "Episode")
    Acknowledgement = apps.get_model("patients", "Acknowledgement")
    Alert = apps.get_model("alerts", "Alert")

    for flag in Flag.objects.filter(episode=None).select_related("check_in").order_by(
        "created_at", "pk"
    ):
        patient_id = flag.check_in.patient_id
        episode = None
        if flag.status != "resolved":
            episode = (
                Episode.objects.filter(patient_id=patient_id, symptom=flag.symptom)
                .exclude(status="resolved")
                .first()
            )
        if episode is None:
            episode = Episode.objects.create(
                patient_id=patient_id,
                symptom=flag.symptom,
                urgency=flag.urgency,
                status=flag.status,
                opened_at=flag.created_at,
                acknowledged_at=flag.acknowledged_at,
                acknowledged_by_id=flag.acknowledged_by_id,
                resolved_at=flag.resolved_at,
                resolved_by_id=flag.resolved_by_id,
            )
        Flag.objects.filter(pk=flag.pk).update(episode=episode)

    # Every acknowledgement on record, once: (episode, when, who).
    on_record = set()
    on_record.update(
        Episode.objects.exclude(acknowledged_at=None).values_list(
            "pk", "acknowledged_at", "acknowledged_by_id"
        )
    )
    on_record.update(
        Flag.objects.exclude(acknowledged_at=None).values_list(
            "episode_id", "acknowledged_at", "acknowledged_by_id"
        )
    )
    raised = {}
    for check_in_id, episode_id in Flag.objects.filter(
        alerted=True, check_in__alert__acknowledged_at__isnull=False
    ).values_list("check_in_id", "episode_id"):
        raised.setdefault(check_in_id, []).append(episode_id)
    for check_in_id, at, by_id in Alert.objects.exclude(acknowledged_at=None).values_list(
        "check_in_id", "acknowledged_at", "acknowledged_by_id"
    ):
        episodes = sorted(raised.get(check_in_id, []))
        if episodes and not any((e, at, by_id) in on_record for e in episodes):
            on_record.add((episodes[0], at, by_id))  # no flag recorded it: keep it
    on_record = {row for row in on_record if row[1] is not None and row[2] is not None}

    # What each covers: the episode's flags, in order, up to the first that was not
    # yet seen when it was made (a flag acknowledged later, or still open).
    flags = {}
    for row in Flag.objects.order_by("pk").values_list(
        "episode_id", "pk", "created_at", "status", "acknowledged_at"
    ):
        flags.setdefault(row[0], []).append(row[1:])

    def last_seen(episode_id, at):
        last = None
        for pk, created_at, status, acknowledged_at in flags.get(episode_id, []):
            seen = acknowledged_at <= at if acknowledged_at else status != "open"
            if created_at > at or not seen:
                break
            last = pk
        return last

    Acknowledgement.objects.bulk_create(
        [
            Acknowledgement(episode_id=e, at=at, by_id=by, last_flag_id=last_seen(e, at))
            for e, at, by in sorted(on_record, key=lambda row: (row[0], row[1]))
        ],
        batch_size=1000,
    )

    notes = {}
    for episode_id, note in (
        Flag.objects.filter(episode__status="resolved")
        .exclude(resolution_note="")
        .values_list("episode_id", "resolution_note")
    ):
        notes.setdefault(episode_id, set()).add(note)
    for episode_id, distinct in notes.items():
        Episode.objects.filter(pk=episode_id).update(resolution_note="; ".join(sorted(distinct)))


def back_from_episodes(apps, schema_editor):
    """The flags' and episodes' own fields again, read from the episode as the app
    reads them now (patients/models/episodes.py)."""
    Flag = apps.get_model("patients", "Flag")
    Episode = apps.get_model("patients", "Episode")
    for episode in Episode.objects.prefetch_related("acknowledgements", "flags").iterator(
        chunk_size=500
    ):
        acknowledgements = sorted(episode.acknowledgements.all(), key=lambda a: (a.at, a.pk))
        if episode.status != "open" and acknowledgements:
            latest = acknowledgements[-1]
            Episode.objects.filter(pk=episode.pk).update(
                acknowledged_at=latest.at, acknowledged_by_id=latest.by_id
            )
        flags = sorted(episode.flags.all(), key=lambda f: f.pk)
        covering = [a for a in acknowledgements if a.last_flag_id is not None]
        for flag in flags:
            first = next((a for a in covering if a.last_flag_id >= flag.pk), None)
            standing = [a.last_flag_id for a in covering if a.last_flag_id < flag.pk]
            joined = (
                not flag.alerted
                and bool(standing)
                and not any(f.alerted and max(standing) < f.pk < flag.pk for f in flags)
            )
            if joined:
                first = None
            if episode.status != "open":
                status = episode.status
            else:
                status = "acknowledged" if first or joined else "open"
            Flag.objects.filter(pk=flag.pk).update(
                status=status,
                acknowledged_at=first.at if first else None,
                acknowledged_by_id=first.by_id if first else None,
                resolved_at=episode.resolved_at,
                resolved_by_id=episode.resolved_by_id,
                resolution_note=episode.resolution_note,
            )


class Migration(migrations.Migration):
    dependencies = [("patients", "0010_acknowledgements")]

    operations = [migrations.RunPython(move_to_episodes, back_from_episodes)]
