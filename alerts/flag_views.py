"""A flag's page: the check-in against baseline, its episode and trail, and the
actions a clinician takes: acknowledge, record what was done, resolve."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from patients import audit
from patients.access import clinician_required
from patients.catalogue import BY_KEY, ITEMS

from . import services
from .models import Action, Episode, Flag
from .timeline import episode_trail
from .views import _treatment, flags_for

OUT_OF_DATE = "This page is out of date: reload it, read the episode, then resolve."


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: phoned the patient, advised to attend the assessment unit.",
    )
    # The newest flag of the episode when the page was drawn: resolving closes the
    # whole episode, so a flag that joined it since must be read first.
    seen = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={"required": OUT_OF_DATE, "invalid": OUT_OF_DATE},
    )

    def clean(self):
        cleaned = super().clean()
        if "seen" in self.errors:  # a hidden field: say it where the nurse looks
            self.add_error(None, self.errors.pop("seen")[0])
        return cleaned


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = ["kind", "note"]
        labels = {"kind": "Action taken", "note": "Note"}
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


@clinician_required
def flag_detail(request, pk):
    flag = get_object_or_404(flags_for(request.user), pk=pk)
    _audit(request, "viewed", flag)
    return _flag_page(request, flag)


def _audit(request, action, flag, detail=""):
    audit.record(request, action, flag.check_in.patient, obj=flag, detail=detail, role="clinician")


def _flag_page(request, flag, *, resolve_form=None, action_form=None, status=200):
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
    episode = flag.episode
    episode_flags = (
        list(episode.flags.select_related("check_in").order_by("-created_at")) if episode else []
    )
    newest = max((f.pk for f in episode_flags), default=flag.pk)
    return render(
        request,
        "alerts/flag_detail.html",
        {
            "flag": flag,
            "item": BY_KEY.get(flag.symptom),
            "check_in": check_in,
            "patient": check_in.patient,
            "treatment": _treatment(flag),
            "answers": answers,
            "other_flags": check_in.flags.exclude(pk=flag.pk),
            "alert": alert,
            "episode": episode,
            "episode_flags": episode_flags,
            "trail": episode_trail(episode) if episode else [],
            "resolve_form": resolve_form or ResolveForm(initial={"seen": newest}),
            "action_form": action_form or ActionForm(),
        },
        status=status,
    )


@clinician_required
@require_POST
def acknowledge(request, pk):
    flag = get_object_or_404(flags_for(request.user), pk=pk)
    with transaction.atomic():
        acknowledged = services.acknowledge_flag(flag, request.user)
        if acknowledged:
            _audit(request, "acknowledged", flag)
    if acknowledged:
        messages.success(request, "Acknowledged: escalation has stopped for this episode.")
    else:
        messages.info(request, "This flag was already acknowledged.")
    return redirect("alerts:flag", pk=flag.pk)


@clinician_required
@require_POST
def record_action(request, pk):
    flag = get_object_or_404(flags_for(request.user), pk=pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _flag_page(request, flag, action_form=form, status=400)
    with transaction.atomic():
        services.record_action(
            flag, request.user, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"]
        )
        _audit(request, "action", flag, detail=form.cleaned_data["kind"])  # never the note
    messages.success(request, f"Recorded: {form.instance.get_kind_display().lower()}.")
    return redirect("alerts:flag", pk=flag.pk)


@clinician_required
@require_POST
def resolve(request, pk):
    flag = get_object_or_404(flags_for(request.user), pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _flag_page(request, flag, resolve_form=form, status=400)
    with transaction.atomic():
        # Locked as the worker locks it to add a flag: none can join unseen meanwhile.
        episode = Episode.objects.select_for_update().filter(pk=flag.episode_id).first()
        joined = (
            list(
                Flag.objects.filter(episode=episode, pk__gt=form.cleaned_data["seen"])
                .exclude(status="resolved")
                .select_related("check_in")
                .order_by("pk")
            )
            if episode
            else []
        )
        if not joined:
            resolved = services.resolve_flag(flag, request.user, note=form.cleaned_data["note"])
            if resolved:
                _audit(request, "resolved", flag)  # the note stays with the flag, not here
    if joined:
        return _flag_page(request, flag, resolve_form=_joined_since(form, joined), status=409)
    if resolved:
        messages.success(request, "Resolved.")
    else:
        messages.info(request, "This flag was already resolved.")
    return redirect("alerts:queue")


def _joined_since(form, joined):
    """The resolve form again, the nurse's note kept, saying which check-ins joined
    the episode since the page was drawn; nothing has been resolved."""
    when = [
        f"{date_format(timezone.localtime(f.check_in.submitted_at), 'D j M H:i')}, "
        f"{f.get_urgency_display().lower()}"
        for f in joined
    ]
    again = ResolveForm({"note": form.cleaned_data["note"], "seen": joined[-1].pk})
    again.is_valid()
    again.add_error(
        None,
        f"Not resolved: {len(joined)} new check-in{'s' if len(joined) > 1 else ''} joined this "
        f"episode after you opened the page ({'; '.join(when)}). Read the episode below, "
        "then resolve again.",
    )
    return again
