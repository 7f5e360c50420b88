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
from .paging import CountedPaginator

# An episode's check-ins, and the trail's check-ins that joined it, shown a page at a time.
EPISODE_PAGE_SIZE = 20


@clinician_required
def flag_detail(request, pk):
    flag = get_object_or_404(triage_flags(request.user).with_seen(), pk=pk)
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
    prefetch_related_objects([flag], "episode__resolved_by", "episode__latest_flag__check_in")
    episode = flag.episode
    # The episode's check-ins a page at a time, newest first: one patient can feed an
    # episode thousands of them.
    episode_flags = CountedPaginator(
        episode.flags.select_related("check_in").order_by("-created_at", "-pk"),
        EPISODE_PAGE_SIZE,
        count=episode.flag_count,
    ).get_page(request.GET.get("check_ins"))
    newest = episode.latest_flag or flag
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
            "trail": episode_trail(episode, joined_shown=EPISODE_PAGE_SIZE),
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


def _episode_action(request, pk, verb, *, act, form_class=None, form_name=None):
    """The path each action takes: the flag (404 unless the user's), its form if it
    has one, the newest flag the page showed; then, in one transaction with the
    episode locked, `act(flag, form)`, unless a check-in joined the episode since
    (one not yet seen; for resolving, any). `act` returns the response."""
    flag = get_object_or_404(triage_flags(request.user).with_seen(), pk=pk)
    form = form_class(request.POST) if form_class else None
    forms = {form_name: form} if form else {}
    if form is not None and not form.is_valid():
        return _flag_page(request, flag, status=400, **forms)
    seen = _seen(request)
    if seen is None:
        return _refused(request, flag, verb, **forms)
    with transaction.atomic():
        joined = _unread(flag, seen, unseen_only=verb != "resolve")
        response = None if joined else act(flag, form)
    return _refused(request, flag, verb, joined, **forms) if joined else response


@clinician_required
@require_POST
def acknowledge(request, pk):
    def act(flag, _form):
        if not triage.acknowledge_flag(flag, request.user):
            messages.info(request, "This flag was already acknowledged.")
        else:
            _audit(request, "acknowledged", flag)
            messages.success(request, "Acknowledged: escalation has stopped for this episode.")
        return redirect("alerts:flag", pk=flag.pk)

    return _episode_action(request, pk, "acknowledge", act=act)


@clinician_required
@require_POST
def record_action(request, pk):
    def act(flag, form):  # recording acknowledges too
        kind = form.cleaned_data["kind"]
        triage.record_action(flag, request.user, kind=kind, note=form.cleaned_data["note"])
        _audit(request, "action", flag, detail=kind)  # never the note
        messages.success(request, f"Recorded: {form.instance.get_kind_display().lower()}.")
        return redirect("alerts:flag", pk=flag.pk)

    return _episode_action(
        request, pk, "record", act=act, form_class=ActionForm, form_name="action_form"
    )


@clinician_required
@require_POST
def resolve(request, pk):
    def act(flag, form):
        if not triage.resolve_flag(flag, request.user, note=form.cleaned_data["note"]):
            messages.info(request, "This flag was already resolved.")
        else:
            _audit(request, "resolved", flag)  # the note stays with the episode, not here
            messages.success(request, "Resolved.")
        return redirect("alerts:queue")

    return _episode_action(
        request, pk, "resolve", act=act, form_class=ResolveForm, form_name="resolve_form"
    )
