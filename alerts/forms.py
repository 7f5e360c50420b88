"""The care team's forms: the triage queue's filters, recording an action, resolving."""

from functools import cached_property
from urllib.parse import urlencode

from django import forms

from clinical.systems import BODY_SYSTEMS, system_label
from clinical.urgency import ALERTING, LABELS
from patients.models import Action, CareTeam

from .selectors import ACTIVE, RESOLVED_SHOWN

# The queue's statuses: unresolved (open and acknowledged, the worklist) by default.
STATUS_CHOICES = [
    (ACTIVE, "Unresolved"),
    ("open", "Open"),
    ("acknowledged", "Acknowledged"),
    ("resolved", "Resolved"),
]


class QueueFilterForm(forms.Form):
    """The queue's GET filters. A value that is not a choice is ignored, not an error."""

    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    urgency = forms.ChoiceField(
        label="Urgency",
        required=False,
        choices=[("", "Any urgency"), *((u, LABELS[u]) for u in ALERTING)],
    )
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    system = forms.ChoiceField(
        label="Body system",
        required=False,
        choices=[
            ("", "Any body system"),
            *((s, system_label(s)) for s in BODY_SYSTEMS),
        ],
    )

    DEFAULTS = {"team": None, "urgency": "", "status": ACTIVE, "system": ""}
    RESOLVED_SHOWN = RESOLVED_SHOWN

    def __init__(self, data, *, teams: list[CareTeam]):
        super().__init__(data)
        self.teams = teams
        self.fields["team"].choices = [("", "All my teams"), *((t.pk, t.name) for t in teams)]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    @cached_property
    def values(self) -> dict:
        """The filters in force: each valid value given, else its default."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) or default for name, default in self.DEFAULTS.items()}

    def query_string(self, **changes) -> str:
        """'?…' for these filters with some changed, defaults left out; '' if none is left."""
        values = self.values | changes
        shown = {k: v for k, v in values.items() if v not in (None, "", self.DEFAULTS[k])}
        return "?" + urlencode(shown) if shown else ""

    def is_filtered(self) -> bool:
        return self.values != self.DEFAULTS

    def count_links(self, counts: dict[str, int]) -> list[dict]:
        """Each urgency's count, with a link to show only that urgency (or, if it is
        the urgency shown, all of them again)."""
        shown = self.values["urgency"]
        return [
            {
                "urgency": u,
                "label": LABELS[u],
                "count": n,
                "current": u == shown,
                "href": self.query_string(urgency="" if u == shown else u) or "?",
            }
            for u, n in counts.items()
        ]


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
