"""The check-in form's fields are built once (issue 11, the check-in's throughput):
answer_field copies them for each form, except that a check-in form sent (bound)
shares them while it is validated, and copies them only if it is drawn (the
temperature's apart, whose unit is the form's). Drawing and validating check-in
forms, with errors or without, through crispy-forms as the page draws them,
changes nothing of what is shared, so nothing one form shows reaches another."""

import copy
import uuid

from django.urls import reverse

from clinical.catalogue import ITEMS, SCORE
from patients.forms import check_in as check_in_forms
from patients.forms.check_in import CheckInForm, answer_field
from patients.models import Baseline

SCORE_ITEM = next(item for item in ITEMS if item.kind == SCORE)


def test_each_call_gives_a_field_and_widget_of_its_own():
    first, second = answer_field(SCORE_ITEM, usual=1), answer_field(SCORE_ITEM, usual=1)

    assert first is not second and first.widget is not second.widget
    first.widget.attrs["class"] = "is-invalid"
    first.help_text = "changed"
    assert "class" not in second.widget.attrs
    assert "changed" not in str(answer_field(SCORE_ITEM, usual=1).help_text)


def test_a_field_says_the_usual_it_was_built_for():
    assert "usual: " in str(answer_field(SCORE_ITEM, usual=1).help_text)
    assert answer_field(SCORE_ITEM).help_text == ""
    assert answer_field(SCORE_ITEM, usual=1, whose="Alice's").help_text.startswith("Alice's usual")


def test_the_choices_validate_and_draw_as_before():
    field = answer_field(SCORE_ITEM)
    values = [value for value, _label in field.choices]

    assert values == list(range(len(SCORE_ITEM.choices)))
    assert field.clean(str(values[-1])) == values[-1]
    assert [value for value, _label in field.widget.choices] == values


def test_an_invalid_form_marks_only_its_own_fields(patient):
    usual = Baseline(patient=patient, stools_per_day=1)
    bad = CheckInForm(
        {"form_token": str(uuid.uuid4()), "stools_per_day": "-3", SCORE_ITEM.key: "99"},
        baseline=usual,
    )
    assert not bad.is_valid()
    str(bad["stools_per_day"])  # drawn with its error

    good = CheckInForm({"form_token": str(uuid.uuid4()), "stools_per_day": "2"}, baseline=usual)

    assert good.is_valid(), good.errors
    assert "aria-invalid" not in str(good["stools_per_day"])
    assert good.fields["temperature_c"] is not bad.fields["temperature_c"]


def snapshot(field) -> dict:
    """What a form's drawing or validation could change on a field or its widget."""
    state = {k: v for k, v in vars(field).items() if k != "widget"}
    return copy.deepcopy({**state, "widget": dict(vars(field.widget))})


def test_drawing_and_validating_check_in_forms_changes_no_shared_field(patient_client, patient):
    page = reverse("patients:check_in")
    patient_client.get(page)
    sent = {"form_token": str(uuid.uuid4())}
    shared = {
        key: field
        for key, field in CheckInForm(sent, baseline=patient.active_baseline).fields.items()
        if key in {item.key for item in ITEMS} and key != "temperature_c"
    }
    before = {key: snapshot(field) for key, field in shared.items()}

    # Invalid (drawn again with its errors), as usual without JavaScript, valid.
    bad = {"form_token": str(uuid.uuid4()), "stools_per_day": "-3", SCORE_ITEM.key: "99"}
    assert patient_client.post(page, bad).status_code == 200
    patient_client.post(page, {"as_usual": "all", "form_token": str(uuid.uuid4())})
    patient_client.post(page, {"form_token": str(uuid.uuid4()), "stools_per_day": "2"})
    patient_client.get(page)

    again = CheckInForm(sent, baseline=patient.active_baseline).fields
    assert all(again[key] is field for key, field in shared.items())  # shared indeed
    assert {key: snapshot(field) for key, field in shared.items()} == before


def test_the_fields_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(check_in_forms, "_PROTOTYPES_MAX", 3)
    check_in_forms._PROTOTYPES.clear()

    for usual in range(10):
        answer_field(SCORE_ITEM, usual=usual % 4)

    assert len(check_in_forms._PROTOTYPES) <= 3
