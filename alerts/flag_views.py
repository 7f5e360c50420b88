"""A flag's page: the check-in against baseline, its episode and trail, and the
actions a clinician takes: acknowledge, record what was done, resolve."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from patients import audit
from patients.access import clinician_required
from patients.catalogue import BY_KEY, ITEMS

from . import services
from .models import Action
from .timeline import episode_trail
from .views import _treatment, flags_for


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: phoned the patient, advised to attend the assessment unit.",
    )


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
            "episode_flags": episode.flags.select_related("check_in").order_by("-created_at")
            if episode
            else [],
            "trail": episode_trail(episode) if episode else [],
            "resolve_form": resolve_form or ResolveForm(),
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
        resolved = services.resolve_flag(flag, request.user, note=form.cleaned_data["note"])
        if resolved:
            _audit(request, "resolved", flag)  # the note stays with the flag, not here
    if resolved:
        messages.success(request, "Resolved.")
    else:
        messages.info(request, "This flag was already resolved.")
    return redirect("alerts:queue")
