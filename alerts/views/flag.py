"""A flag's page: the check-in against baseline, its episode and trail, and the
actions a clinician takes: acknowledge, record what was done, resolve."""

from django.contrib import messages
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from clinical.catalogue import BY_KEY, ITEMS
from patients import audit
from patients.access import clinician_required
from patients.models import RESOLVED, Episode, Flag

from ..forms import ActionForm, ResolveForm
from ..selectors import current_treatment, triage_flags
from ..services import triage
from ..timeline import episode_trail


@clinician_required
def flag_detail(request, pk):
    flag = get_object_or_404(triage_flags(request.user), pk=pk)
    _audit(request, "viewed", flag)
    return _flag_page(request, flag)


def _audit(request, action, flag, detail=""):
    audit.record(request, action, flag.check_in.patient, obj=flag, detail=detail, role="clinician")


def _flag_page(request, flag, *, resolve_form=None, action_form=None, problem=None, status=200):
    check_in = flag.check_in
    baseline = check_in.baseline
    answers = [
        (
            item,
            getattr(check_in, item.key),
            getattr(baseline, item.key, None) if item.has_baseline else None,
        )
        for item in ITEMS
        if getattr(check_in, item.key) is not None
    ]
    alert = getattr(check_in, "alert", None)
    prefetch_related_objects([flag], "episode__acknowledgements__by", "episode__resolved_by")
    episode = flag.episode
    episode_flags = list(episode.flags.select_related("check_in").order_by("-created_at"))
    newest = max(episode_flags, key=lambda f: f.pk, default=flag)
    return render(
        request,
        "alerts/flag_detail.html",
        {
            "flag": flag,
            "item": BY_KEY.get(flag.symptom),
            "check_in": check_in,
            "patient": check_in.patient,
            "treatment": current_treatment(flag),
            "answers": answers,
            "other_flags": check_in.flags.exclude(pk=flag.pk).select_related("episode").with_seen(),
            "alert": alert,
            "episode": episode,
            "episode_flags": episode_flags,
            "trail": episode_trail(episode),
            "resolve_form": resolve_form or ResolveForm(),
            "action_form": action_form or ActionForm(),
            # Posted back by each action's form: the newest flag the page showed.
            "newest": newest.pk,
            "latest_flag": newest if newest.pk != flag.pk else None,
            "problem": problem,
        },
        status=status,
    )


# Acknowledging, acting and resolving each act on the whole episode. Each form
# posts back the newest flag of the episode the page showed (`seen`); when a
# check-in has joined the episode since, nothing changes and the page says which,
# so that nobody stops an escalation or closes an episode they have not read.
# The episode row is locked as the worker locks it to add a flag.

VERBS = {"acknowledge": "acknowledged", "record": "recorded", "resolve": "resolved"}


def _seen(request) -> int | None:
    try:
        seen = int(request.POST.get("seen", ""))
    except ValueError:
        return None
    return seen if seen >= 0 else None


def _unread(flag, seen, *, unseen_only) -> list[Flag]:
    """In a transaction: lock the flag's episode and return the flags that joined it
    after `seen`: those no acknowledgement has covered (`unseen_only`), or all of them
    while the episode is not resolved."""
    episode = Episode.objects.select_for_update().get(pk=flag.episode_id)
    if episode.status == RESOLVED:
        return []
    joined = Flag.objects.filter(episode=episode, pk__gt=seen)
    if unseen_only:
        joined = joined.unseen()
    return list(joined.select_related("check_in", "episode").order_by("pk"))


def _refused(request, flag, verb, joined=None, **forms):
    """The flag's page again, nothing changed: out of date (400), or naming the
    check-ins that joined the episode after the page was drawn (409)."""
    if not joined:
        problem = f"This page is out of date: reload it, read the episode, then {verb}."
        return _flag_page(request, flag, problem=problem, status=400, **forms)
    when = "; ".join(
        f"{date_format(timezone.localtime(f.check_in.submitted_at), 'D j M H:i')}, "
        f"{f.get_urgency_display().lower()}"
        for f in joined
    )
    count = f"{len(joined)} new check-in{'s' if len(joined) > 1 else ''}"
    problem = (
        f"Not {VERBS[verb]}: {count} joined this episode after you opened the page "
        f"({when}). Read the episode below, then {verb} again."
    )
    return _flag_page(request, flag, problem=problem, status=409, **forms)


@clinician_required
@require_POST
def acknowledge(request, pk):
    flag = get_object_or_404(triage_flags(request.user), pk=pk)
    seen = _seen(request)
    if seen is None:
        return _refused(request, flag, "acknowledge")
    with transaction.atomic():
        joined = _unread(flag, seen, unseen_only=True)
        acknowledged = not joined and triage.acknowledge_flag(flag, request.user)
        if acknowledged:
            _audit(request, "acknowledged", flag)
    if joined:
        return _refused(request, flag, "acknowledge", joined)
    if acknowledged:
        messages.success(request, "Acknowledged: escalation has stopped for this episode.")
    else:
        messages.info(request, "This flag was already acknowledged.")
    return redirect("alerts:flag", pk=flag.pk)


@clinician_required
@require_POST
def record_action(request, pk):
    flag = get_object_or_404(triage_flags(request.user), pk=pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _flag_page(request, flag, action_form=form, status=400)
    seen = _seen(request)
    if seen is None:
        return _refused(request, flag, "record", action_form=form)
    with transaction.atomic():
        joined = _unread(flag, seen, unseen_only=True)  # recording acknowledges too
        if not joined:
            triage.record_action(
                flag, request.user, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"]
            )
            _audit(request, "action", flag, detail=form.cleaned_data["kind"])  # never the note
    if joined:
        return _refused(request, flag, "record", joined, action_form=form)
    messages.success(request, f"Recorded: {form.instance.get_kind_display().lower()}.")
    return redirect("alerts:flag", pk=flag.pk)


@clinician_required
@require_POST
def resolve(request, pk):
    flag = get_object_or_404(triage_flags(request.user), pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _flag_page(request, flag, resolve_form=form, status=400)
    seen = _seen(request)
    if seen is None:
        return _refused(request, flag, "resolve", resolve_form=form)
    with transaction.atomic():
        joined = _unread(flag, seen, unseen_only=False)
        resolved = not joined and triage.resolve_flag(
            flag, request.user, note=form.cleaned_data["note"]
        )
        if resolved:
            _audit(request, "resolved", flag)  # the note stays with the flag, not here
    if joined:
        return _refused(request, flag, "resolve", joined, resolve_form=form)
    if resolved:
        messages.success(request, "Resolved.")
    else:
        messages.info(request, "This flag was already resolved.")
    return redirect("alerts:queue")
