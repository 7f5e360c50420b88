from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clinical.catalogue import BASELINE_ITEMS, ITEMS, WELLBEING, YESNO

from . import audit, notebook
from .access import (
    CARING_FOR,
    cared_for,
    carer_link,
    get_check_in,
    is_clinician,
    patient_or_carer,
    patient_required,
)
from .charts import legend, symptom_chart, window_start
from .forms import AnswerForm, BaselineForm, CheckInForm, QuestionForm, usual_filled_form
from .models import Carer, Flag
from .services.advice import advice_for
from .services.check_ins import evaluate, record_baseline, record_check_in
from .templatetags.symptoms import words as in_words


@login_required
def home(request):
    if hasattr(request.user, "patient"):
        return dashboard(request)
    if is_clinician(request.user):
        return redirect("alerts:queue")
    links = cared_for(request.user)
    if links:
        if carer_link(request) is None or (len(links) > 1 and "choose" in request.GET):
            return render(request, "patients/carer_choose.html", {"links": links})
        return dashboard(request)
    if request.user.is_staff:
        return redirect("admin:index")
    ended = Carer.objects.filter(user=request.user, revoked_at__isnull=False).exists()
    return render(request, "patients/no_role.html", {"carer_access_ended": ended})


@patient_or_carer
def dashboard(request, patient):
    today = patient.local_date()
    latest = patient.check_ins.filter(local_date=today).first()
    urgent = latest is not None and latest.urgency in ("red", "emergency")
    return render(
        request,
        "patients/dashboard.html",
        {
            "patient": patient,
            "baseline": patient.active_baseline,
            "today_check_in": latest,
            # Today's latest check-in needs a call now: home leads with whom to call.
            "urgent_advice": advice_for(patient, latest.urgency) if urgent else None,
            "advice": advice_for(patient, "green"),
            "other_links": len(cared_for(request.user)) > 1 if request.carer else False,
        },
    )


@login_required
@require_POST
def choose_patient(request, pk):
    """A carer of several patients chooses whom they are helping now."""
    link = get_object_or_404(Carer.objects.active(), pk=pk, user=request.user)
    request.session[CARING_FOR] = link.pk
    return redirect("patients:home")


@patient_required
def baseline(request, patient):
    current = patient.active_baseline
    form = BaselineForm(request.POST if request.method == "POST" else None, current=current)
    if request.method == "POST" and form.is_valid():
        record_baseline(patient=patient, values=form.values(), recorded_by=request.user)
        if current is None:
            # The first visit's last step: who to phone, and when.
            messages.success(
                request,
                "Your usual has been saved. Last step: here is who to phone, and when. "
                "Keep this list somewhere safe.",
            )
            return redirect(f"{reverse('patients:contacts')}?welcome=1")
        messages.success(
            request, "Your usual has been saved. Check-ins from now on are compared with it."
        )
        return redirect("patients:home")
    rows = [(item, getattr(current, item.key)) for item in BASELINE_ITEMS] if current else []
    return render(
        request, "patients/baseline.html", {"form": form, "current": current, "rows": rows}
    )


def _carer_says(request, patient) -> str | None:
    """The patient's first name when a carer is acting for them: pages name the patient."""
    return (patient.user.first_name or patient.name) if request.carer else None


@patient_or_carer
def check_in(request, patient):
    baseline = patient.active_baseline
    who = _carer_says(request, patient)
    # An "as usual" button pressed without JavaScript: show the form filled in, save nothing.
    refilled = usual_filled_form(request.POST, baseline=baseline, who=who)
    if refilled is not None:
        return render(request, "patients/check_in.html", {"form": refilled, "baseline": baseline})
    form = CheckInForm(request.POST or None, baseline=baseline, who=who)
    if request.method == "POST" and form.is_valid():
        saved, _evaluation, created = record_check_in(
            patient=patient,
            answers=form.answers(),
            entered_by="carer" if request.carer else "patient",
            user=request.user,
            free_text=form.cleaned_data["free_text"],
            new_medicines=form.cleaned_data["new_medicines"],
            form_token=form.cleaned_data["form_token"],
        )
        if created:
            audit.record(request, "created", patient, obj=saved)
        if not created:
            messages.info(request, "This check-in was already sent; it has been saved once.")
        return redirect("patients:check_in_result", pk=saved.pk)
    return render(request, "patients/check_in.html", {"form": form, "baseline": baseline})


@patient_or_carer
def check_in_result(request, patient, pk):
    saved = get_check_in(patient, pk)
    if request.carer:
        audit.record(request, "viewed", patient, obj=saved)
    evaluation = evaluate(saved)
    return render(
        request,
        "patients/check_in_result.html",
        {
            "check_in": saved,
            "evaluation": evaluation,
            "advice": advice_for(patient, saved.urgency),
            # The worker has evaluated it: flags written, and an alert for those that alert.
            "team_alerted": saved.evaluated_at is not None
            and saved.flags.filter(alerted=True).exists(),
            "today": patient.local_date(),
        },
    )


@patient_or_carer
def check_in_list(request, patient):
    """My history: charts of the last 30 days against the usual, then the check-ins.

    Each flagged check-in says whether the team has seen it, never who or why.
    A fixed number of queries however many check-ins and flags (tests assert it).
    """
    if request.carer:
        audit.record(request, "viewed", patient, obj=patient, detail="history")
    seen_fields = ("check_in_id", "urgency", "status", "acknowledged_at", "resolved_at")
    check_ins = patient.check_ins.select_related("entered_by_user").prefetch_related(
        Prefetch("flags", queryset=Flag.objects.only(*seen_fields).order_by("pk"))
    )
    page = Paginator(check_ins, 20).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for c in page.object_list:
        flags = list(c.flags.all())
        c.flagged = bool(flags)
        c.team_seen = bool(flags) and all(f.status != "open" for f in flags)
        seen = [t for f in flags if (t := f.acknowledged_at or f.resolved_at)]
        c.seen_at = max(seen) if c.team_seen and seen else None
    return render(
        request,
        "patients/check_in_list.html",
        {
            "page": page,
            "time_zone": patient.time_zone,
            "urgent_line": advice_for(patient, "green").urgent_line,
            **_history_charts(patient, who=_carer_says(request, patient)),
        },
    )


def _history_charts(patient, *, who=None) -> dict:
    """The patient's charts of the last 30 days (patients/charts.py), with plain words.

    A chart for each item answered in the window or with a usual recorded, as the
    care team sees it; `worst` is the day to mention, `legend` the key in plain words
    (`who`: the patient's first name, for a carer).
    """

    today = patient.local_date()
    start = window_start(today)
    recent = list(patient.check_ins.filter(local_date__gte=start).order_by("submitted_at", "pk"))
    flags = list(
        Flag.objects.filter(check_in__patient=patient, check_in__local_date__gte=start).values_list(
            "check_in__local_date", "symptom", "urgency"
        )
    )
    # A patient who moved west can have a check-in dated after their new today.
    end = max([today, *(c.local_date for c in recent)])
    baseline = patient.active_baseline
    line_charts, mark_charts = [], []
    for item in ITEMS:
        usual = getattr(baseline, item.key, None) if item.has_baseline else None
        points = [(c.local_date, v) for c in recent if (v := getattr(c, item.key)) is not None]
        if not points and usual is None:
            continue
        item_flags = [(day, urgency) for day, symptom, urgency in flags if symptom == item.key]
        chart = symptom_chart(
            item, points, usual, today=end, flags=item_flags, tick_words=partial(in_words, item)
        )
        answered = chart.answered
        worst = None
        if answered and item.kind != YESNO:
            pick = min if item.kind == WELLBEING else max
            worst_value = pick(d.value for d in answered)
            worst = [d for d in answered if d.value == worst_value][-1]
        entry = {
            "chart": chart,
            "worst": worst,
            "latest": answered[-1] if answered else None,
            "yes_days": [d for d in answered if d.value is True],
        }
        (mark_charts if chart.marks_only else line_charts).append(entry)
    words = {
        "mark-none": f"{who}'s answer" if who else "your answer",
        "mark-amber": "Amber: today",
        "mark-red": "Red: urgent",
        "mark-emergency": "Emergency",
        "mark-no": "answered no" if who else "you answered no",
    }
    return {
        "window": (window_start(end), end),
        "line_charts": line_charts,
        "mark_charts": mark_charts,
        "legend": [(css, path, words[css]) for css, path, _ in legend()],
    }


@patient_or_carer
def contacts(request, patient):
    team_contacts = patient.care_team.contacts.filter(active=True).prefetch_related("hours")
    return render(
        request,
        "patients/contacts.html",
        {
            "team": patient.care_team,
            "contacts": team_contacts,
            "advice": advice_for(patient, "green"),
            "patient": patient,
            "treatment": patient.treatment,
            "card": request.GET.get("card") == "1",
            "welcome": request.GET.get("welcome") == "1",
            "today": patient.local_date(),
        },
    )


# Questions for the next appointment, and "My treatment".


def _questions_page(request, patient, *, add_form=None, answer_form=None):
    """The notebook; a form that failed validation is shown again with its message."""
    rows = list(patient.questions.all())
    for question in rows:
        if answer_form is not None and answer_form.instance.pk == question.pk:
            question.answer_form = answer_form
        else:
            question.answer_form = AnswerForm(instance=question, prefix=f"q{question.pk}")
    return render(
        request,
        "patients/questions.html",
        {
            "sections": [
                {
                    "id": "to-ask",
                    "title": "To ask",
                    "questions": [q for q in rows if q.asked_at is None],
                    "empty": "No questions waiting to be asked. Add your own below, "
                    "or add one of the questions other people ask.",
                },
                {
                    "id": "asked",
                    "title": "Already asked",
                    "questions": [q for q in rows if q.asked_at is not None],
                    "empty": "None yet. When you have asked a question, tap "
                    "“I have asked this” and it moves here.",
                },
            ],
            "time_zone": patient.time_zone,
            "add_form": add_form or QuestionForm(),
            "suggestions": notebook.suggestions_not_added(patient),
        },
    )


def _back_to(question=None):
    url = reverse("patients:questions")
    return redirect(f"{url}#q{question.pk}" if question else url)


@patient_required
def questions(request, patient):
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _question, created = notebook.question_add(patient=patient, text=form.cleaned_data["text"])
        messages.success(
            request,
            "Your question has been added."
            if created
            else "That question is already in your notebook.",
        )
        return _back_to()
    return _questions_page(request, patient, add_form=form)


@patient_required
@require_POST
def question_add_suggested(request, patient):
    text = notebook.SUGGESTED_QUESTIONS.get(request.POST.get("key", ""))
    if text is None:
        raise Http404("There is no such suggested question.")
    text = str(text)  # in the reader's language, as they will see it in their notebook
    notebook.question_add(patient=patient, text=text)
    messages.success(request, f"Added: {text}")
    return _back_to()


@patient_required
@require_POST
def question_asked(request, patient, pk):
    question = get_object_or_404(patient.questions, pk=pk)
    asked = request.POST.get("asked") == "yes"
    notebook.question_mark_asked(question=question, asked=asked)
    messages.success(
        request,
        "Marked as asked." if asked else "Moved back to the questions still to ask.",
    )
    return _back_to(question)


@patient_required
@require_POST
def question_answer(request, patient, pk):
    question = get_object_or_404(patient.questions, pk=pk)
    form = AnswerForm(request.POST, instance=question, prefix=f"q{question.pk}")
    if not form.is_valid():
        return _questions_page(request, patient, answer_form=form)
    form.save()
    messages.success(request, "Your note has been saved.")
    return _back_to(question)


@patient_required
@require_POST
def question_delete(request, patient, pk):
    question = get_object_or_404(patient.questions, pk=pk)
    question.delete()
    messages.success(request, "The question has been deleted.")
    return _back_to()


@patient_required
def treatment(request, patient):
    current = patient.treatment
    today = patient.local_date()
    context = {"treatment": current, "today": today, "team": patient.care_team}
    if current is not None:
        context.update(
            kind=notebook.KIND_EXPLAINED.get(current.kind, current.get_kind_display()),
            status=notebook.STATUS_EXPLAINED.get(current.status),
            next_dose=notebook.next_dose(current, today=today),
        )
    else:
        context["ask"] = patient.care_team.contacts.filter(active=True).order_by("order").first()
    return render(request, "patients/treatment.html", context)
