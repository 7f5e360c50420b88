"""Acknowledgement in one place: the episode (2 of 3: the data), and nothing is lost.

1. A flag made without an episode gets one: the open episode of its symptom if it is
   not resolved and there is one, else an episode of its own.
2. Every acknowledgement on record becomes a row: each distinct (episode, when, who)
   of the episodes and of the flags (and of an alert, in the rare case that no flag
   records it). Who did what when stays in the audit trail as it was.
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

    kept = set()
    rows = []

    def keep(episode_id, at, by_id):
        if at is not None and by_id is not None and (episode_id, at, by_id) not in kept:
            kept.add((episode_id, at, by_id))
            rows.append(Acknowledgement(episode_id=episode_id, at=at, by_id=by_id))

    for row in Episode.objects.exclude(acknowledged_at=None).values_list(
        "pk", "acknowledged_at", "acknowledged_by_id"
    ):
        keep(*row)
    for row in Flag.objects.exclude(acknowledged_at=None).values_list(
        "episode_id", "acknowledged_at", "acknowledged_by_id"
    ):
        keep(*row)
    for alert in Alert.objects.exclude(acknowledged_at=None).iterator():
        episodes = sorted(
            Flag.objects.filter(check_in_id=alert.check_in_id, alerted=True).values_list(
                "episode_id", flat=True
            )
        )
        pair = (alert.acknowledged_at, alert.acknowledged_by_id)
        if episodes and not any((e, *pair) in kept for e in episodes):
            keep(episodes[0], *pair)
    Acknowledgement.objects.bulk_create(rows, batch_size=1000)

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
    reads them now."""
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
        flags = list(episode.flags.all())
        for flag in flags:
            first = next((a for a in acknowledgements if a.at >= flag.created_at), None)
            before = [a.at for a in acknowledgements if a.at < flag.created_at]
            joined_while_acknowledged = (
                not flag.alerted
                and bool(before)
                and not any(
                    f.alerted and max(before) < f.created_at < flag.created_at for f in flags
                )
            )
            if episode.status != "open":
                status = episode.status
            else:
                status = "acknowledged" if first or joined_while_acknowledged else "open"
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
