"""The check-in form's fields are built once and copied for each form (issue 11, the
check-in's throughput): each form still has fields and widgets of its own, so what
one form's drawing or validation changes reaches no other form."""

import uuid

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
    assert good.fields["stools_per_day"] is not bad.fields["stools_per_day"]


def test_the_fields_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(check_in_forms, "_PROTOTYPES_MAX", 3)
    check_in_forms._PROTOTYPES.clear()

    for usual in range(10):
        answer_field(SCORE_ITEM, usual=usual % 4)

    assert len(check_in_forms._PROTOTYPES) <= 3
