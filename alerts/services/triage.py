"""Triage actions: what a clinician does about a flag's episode: acknowledge it (which
stops its alert escalating), record an action, resolve it."""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from patients.models import Action, Episode, Flag

from ..models import Alert


def _with_its_episode(flag: Flag):
    """The flag and the other flags of its episode. A flag with no episode is alone:
    `episode_id=None` would match every episode-less flag, of any patient."""
    if flag.episode_id is None:
        return Flag.objects.filter(pk=flag.pk)
    return Flag.objects.filter(Q(pk=flag.pk) | Q(episode_id=flag.episode_id))


def acknowledge_flag(flag: Flag, user, *, now=None) -> bool:
    """Acknowledge the flag's episode and its open flags. A check-in's alert stops
    escalating once none of its alerting flags is still open: acknowledging one
    episode does not silence another episode's alert. False if nothing was open."""
    now = now or timezone.now()
    with transaction.atomic():
        episode_changed = Episode.objects.filter(pk=flag.episode_id, status="open").update(
            status="acknowledged", acknowledged_at=now, acknowledged_by=user
        )
        flags = _with_its_episode(flag)
        flags_changed = flags.filter(status="open").update(
            status="acknowledged", acknowledged_at=now, acknowledged_by=user
        )
        still_open = Flag.objects.filter(check_in=OuterRef("check_in"), alerted=True, status="open")
        Alert.objects.filter(
            check_in__in=flags.values("check_in"), acknowledged_at__isnull=True
        ).exclude(Exists(still_open)).update(
            acknowledged_at=now, acknowledged_by=user, escalate_at=None
        )
    return bool(episode_changed or flags_changed)


def record_action(flag: Flag, user, *, kind: str, note: str = "", now=None) -> Action:
    """Record what was done about the flag's episode (it acknowledges it too)."""
    now = now or timezone.now()
    with transaction.atomic():
        acknowledge_flag(flag, user, now=now)
        return Action.objects.create(
            episode_id=flag.episode_id, kind=kind, note=note, taken_at=now, taken_by=user
        )


def resolve_flag(flag: Flag, user, *, note: str, now=None) -> bool:
    """Resolve the flag's episode and all its flags, with a note; acknowledges first
    if need be. The next flag for that symptom opens a new episode."""
    now = now or timezone.now()
    with transaction.atomic():
        acknowledge_flag(flag, user, now=now)
        Episode.objects.filter(pk=flag.episode_id).exclude(status="resolved").update(
            status="resolved", resolved_at=now, resolved_by=user
        )
        changed = (
            _with_its_episode(flag)
            .filter(status="acknowledged")
            .update(status="resolved", resolved_at=now, resolved_by=user, resolution_note=note)
        )
    return bool(changed)
