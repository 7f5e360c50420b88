"""The notebook: questions for the next appointment, and the answers noted."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import notebook
from ..access import get_question, patient_required
from ..forms.notebook import AnswerForm, QuestionForm


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
    question = get_question(patient, pk)
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
    question = get_question(patient, pk)
    form = AnswerForm(request.POST, instance=question, prefix=f"q{question.pk}")
    if not form.is_valid():
        return _questions_page(request, patient, answer_form=form)
    form.save()
    messages.success(request, "Your note has been saved.")
    return _back_to(question)


@patient_required
@require_POST
def question_delete(request, patient, pk):
    question = get_question(patient, pk)
    question.delete()
    messages.success(request, "The question has been deleted.")
    return _back_to()
