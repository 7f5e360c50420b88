"""Triage actions: what a clinician does about a flag's episode: acknowledge it (its
flags so far are seen, and the alerts they raised stop escalating), record an action,
resolve it. Each writes the episode alone; flags and alerts read it."""

from django.db import transaction
from django.utils import timezone

from patients.models import ACKNOWLEDGED, OPEN, RESOLVED, Acknowledgement, Action, Episode, Flag


def acknowledge_flag(flag: Flag, user, *, now=None) -> bool:
    """Acknowledge the flag's episode: its flags so far are seen. An alert stops
    escalating once every flag it raised is seen: acknowledging one episode does not
    silence another episode's alert. False if the episode was not open.

    The episode is locked, as the worker locks it to add a flag (and escalation to
    decide), so the acknowledgement covers exactly the flags it had: a flag the
    worker adds after it is not seen, whatever the clocks say.
    """
    now = now or timezone.now()
    with transaction.atomic():
        episode = Episode.objects.select_for_update().get(pk=flag.episode_id)
        if episode.status != OPEN:
            return False
        last = episode.flags.order_by("-pk").values_list("pk", flat=True).first()
        Episode.objects.filter(pk=episode.pk).update(status=ACKNOWLEDGED)
        Acknowledgement.objects.create(episode=episode, last_flag_id=last, at=now, by=user)
    return True


def record_action(flag: Flag, user, *, kind: str, note: str = "", now=None) -> Action:
    """Record what was done about the flag's episode (it acknowledges it too)."""
    now = now or timezone.now()
    with transaction.atomic():
        acknowledge_flag(flag, user, now=now)
        return Action.objects.create(
            episode_id=flag.episode_id, kind=kind, note=note, taken_at=now, taken_by=user
        )


def resolve_flag(flag: Flag, user, *, note: str, now=None) -> bool:
    """Resolve the flag's episode with a note, acknowledging it first if need be. The
    next flag for that symptom opens a new episode. False if it was resolved already."""
    now = now or timezone.now()
    with transaction.atomic():
        acknowledge_flag(flag, user, now=now)
        changed = (
            Episode.objects.filter(pk=flag.episode_id)
            .exclude(status=RESOLVED)
            .update(status=RESOLVED, resolved_at=now, resolved_by=user, resolution_note=note)
        )
    return bool(changed)
