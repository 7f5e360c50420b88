"""A care team's contact list: the in-app editor's form (the contacts and their weekly
hours, saved together or not at all), and the admin's.

The same rules in both: each contact passes `Contact.clean` (model validation), the
list passes `routing.contact_list_errors`, and hours pass `routing.parse_window`.
"""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils.html import format_html

from base.validators import validate_names_of
from clinical.routing import ALWAYS, ContactSpec, HoursError, contact_list_errors, parse_window

from ..models import CareTeam, Contact, ContactHours, handled_urgencies

DAYS_MAX_LENGTH = ContactHours._meta.get_field("days").max_length
MAX_CONTACTS = 50
STALE_LIST = (
    "The contact list was changed elsewhere while you were editing it: "
    "reload the page and make your changes again."
)
HOURS_EXAMPLE = "mon-fri 09:00-17:00; sat,sun 10:00-14:00"
# "days start-end": the days may hold dashes and commas, the times may not hold spaces.
_WINDOW = re.compile(r"^(?P<days>.+?)\s+(?P<start>[^\s-]+)\s*-\s*(?P<end>[^\s-]+)$")


class ContactListRefused(Exception):
    """The list cannot be saved; `messages` say why, for the person editing it."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def hours_text(hours) -> str:
    """ContactHours rows as the editor shows them: 'mon-fri 09:00-17:00; sat 10:00-14:00'."""
    return "; ".join(f"{h.days} {h.start}-{h.end}" for h in hours)


def parse_hours_text(text: str) -> list[tuple[str, str, str]]:
    """'mon-fri 09:00-17:00; sat,sun 10:00-14:00' -> [(days, start, end), ...].

    Each window is checked by `routing.parse_window`; its HoursError says what is wrong.
    """
    windows = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        match = _WINDOW.match(part)
        if not match:
            raise HoursError(
                f"{part!r}: write the days, then the times, for example mon-fri 09:00-17:00; "
                "separate windows with a semicolon"
            )
        days = re.sub(r"\s*([,-])\s*", r"\1", match["days"].lower())
        parse_window(days, match["start"], match["end"])
        if len(days) > DAYS_MAX_LENGTH:
            raise HoursError(f"{days!r}: too many days; use ranges such as mon-fri")
        windows.append((days, match["start"], match["end"]))
    return windows


class ContactRowForm(forms.ModelForm):
    """One contact of the list, with its weekly hours as one line of text."""

    hours = forms.CharField(
        label="Hours on duty",
        required=False,
        max_length=400,
        help_text=f"Weekly, in the team's time zone; separate windows with a semicolon, "
        f"for example {HOURS_EXAMPLE}. Not used while on duty 24/7.",
    )

    class Meta:
        model = Contact
        fields = ["order", *Contact.EDITABLE_FIELDS, "active"]
        labels = {
            "order": "Order",
            "handles_amber": "Takes amber alerts",
            "handles_red": "Takes red (and emergency) alerts",
            "always_on_duty": "On duty 24/7",
            "active": "Active (untick to take off the list)",
        }
        help_texts = {"order": "1 is alerted first"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        validate_names_of(self, "name")
        for name in ("phone", "sms_number"):
            self.fields[name].widget.attrs["inputmode"] = "tel"
        if self.instance.pk:
            self.initial.setdefault("hours", hours_text(self.instance.hours.all()))
            self._mark_broken_channels()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "id",
            "team",
            Row(
                Column("order", css_class="col-4 col-md-2"),
                Column("name", css_class="col-8 col-md-5"),
                Column("role", css_class="col-md-5"),
            ),
            Row(
                Column("phone", css_class="col-md-4"),
                Column("when_to_call", css_class="col-md-8"),
            ),
            Row(
                Column("email", css_class="col-md-4"),
                Column("sms_number", css_class="col-md-4"),
                Column("webhook_url", css_class="col-md-4"),
            ),
            Row(Column("fhir_url", css_class="col-md-8")),
            Row(
                Column("handles_amber", css_class="col-sm-6 col-lg-3"),
                Column("handles_red", css_class="col-sm-6 col-lg-3"),
                Column("always_on_duty", css_class="col-sm-6 col-lg-3"),
                Column("active", css_class="col-sm-6 col-lg-3"),
            ),
            "hours",
        )

    def _mark_broken_channels(self):
        fields = {
            "sms": "sms_number",
            "email": "email",
            "webhook": "webhook_url",
            "fhir": "fhir_url",
        }
        for broken in self.instance.broken_channels.all():
            field = self.fields[fields[broken.channel]]
            field.widget.attrs["class"] = "border-danger border-2"
            # The error quotes the provider's reply and the address: text from outside,
            # escaped here, as the form renderer shows a help text as it is (HTML).
            field.help_text = format_html(
                "Failing since {}: {}. Correct the address to try it again.",
                f"{broken.since:%d %b %Y}",
                broken.error,
            )

    def clean_hours(self):
        try:
            return parse_hours_text(self.cleaned_data["hours"])
        except HoursError as exc:
            raise ValidationError(str(exc)) from exc

    def spec(self) -> ContactSpec:
        """The contact as submitted, as routing sees it (call once the form is valid)."""
        contact = self.instance
        hours = (
            ALWAYS
            if contact.always_on_duty
            else tuple(parse_window(*w) for w in self.cleaned_data["hours"])
        )
        return ContactSpec(contact.name, contact.handles, contact.order, hours, ref=contact.pk)


class BaseContactListFormSet(BaseInlineFormSet):
    """A team's whole contact list: it keeps a 24/7 contact for red, a contact for
    amber, and distinct orders (inactive contacts keep their place too)."""

    def clean(self):
        if any(name in form.errors for form in self.forms for name in ("id", "team")):
            raise ValidationError(STALE_LIST)  # a row deleted elsewhere, or a tampered one
        # The model formset compares the rows' orders (no per-row database check, as the
        # team is the inline's key), so that two contacts can swap places in one save.
        super().clean()
        if any(self.errors):
            return
        errors = contact_list_errors(self.specs())
        if errors:
            raise ValidationError(errors)

    def get_unique_error_message(self, unique_check):
        return "Two contacts (active or not) have the same order; give each its own place."

    def specs(self) -> list[ContactSpec]:
        """The active contacts as submitted (call once the formset is valid)."""
        return [
            form.spec()
            for form in self.forms
            if form.cleaned_data and form.cleaned_data.get("active")
        ]


_ContactListFormSet = inlineformset_factory(
    CareTeam,
    Contact,
    form=ContactRowForm,
    formset=BaseContactListFormSet,
    extra=1,
    can_delete=False,
    # The row count comes from the browser: a team's list is short, and a post
    # asking for thousands of rows is refused before any is built.
    max_num=MAX_CONTACTS,
    absolute_max=MAX_CONTACTS,
    validate_max=True,
)


def contact_list_formset(team: CareTeam, data=None):
    """The editor's formset: every contact of the team, inactive ones too, and a blank one
    (its order the next free place) to add a contact."""
    contacts = Contact.objects.prefetch_related("hours", "broken_channels").order_by("order")
    last = max(team.contacts.values_list("order", flat=True), default=0)
    return _ContactListFormSet(
        data, instance=team, queryset=contacts, initial=[{"order": last + 1}], prefix="contacts"
    )


def save_contact_list(formset) -> None:
    """Save a valid contact list formset: the contacts and their hours, all or nothing.

    1. Lock the team, so that two people saving its list save one after the other.
    2. Park the contacts whose order changes at free places, so that two can swap.
    3. Save the contacts, then replace the hours of those whose hours changed.
    4. Check the list as saved, contacts added elsewhere since the form was shown
       included: ContactListRefused, and nothing saved, if it cannot be used. So is
       an order taken elsewhere meanwhile (the database's constraint).
    """
    team = formset.instance
    try:
        with transaction.atomic():
            CareTeam.objects.select_for_update().get(pk=team.pk)
            _park_moving_contacts(formset)
            formset.save()
            for form in formset.forms:
                if form.instance.pk and "hours" in form.changed_data:
                    form.instance.hours.all().delete()
                    ContactHours.objects.bulk_create(
                        ContactHours(contact=form.instance, days=d, start=s, end=e)
                        for d, s, e in form.cleaned_data["hours"]
                    )
            errors = team.contact_list_errors()
            if errors:
                raise ContactListRefused(errors)
    except IntegrityError as exc:
        raise ContactListRefused([STALE_LIST]) from exc


def _park_moving_contacts(formset) -> None:
    moving = [f.instance.pk for f in formset.initial_forms if "order" in f.changed_data]
    if not moving:
        return
    taken = set(Contact.objects.filter(team=formset.instance).values_list("order", flat=True))
    taken |= {f.instance.order for f in formset.forms if f.cleaned_data}
    free = (n for n in range(32767, 0, -1) if n not in taken)
    for pk in moving:
        Contact.objects.filter(pk=pk).update(order=next(free))


# The admin's forms (patients/admin/teams.py)


def _spec(data: dict) -> ContactSpec:
    """Enough of a contact, from the admin's form data, to check the list's shape (the
    admin edits hours on the contact's own page)."""
    return ContactSpec(
        data.get("name") or "",
        handled_urgencies(
            handles_amber=bool(data.get("handles_amber")),
            handles_red=bool(data.get("handles_red")),
        ),
        data.get("order") or 0,
        ALWAYS if data.get("always_on_duty") else (),
    )


class ContactInlineFormSet(BaseInlineFormSet):
    """A team's contact list must keep a 24/7 contact for red, and distinct orders."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        specs = [
            _spec(form.cleaned_data)
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("active", True)
        ]
        errors = contact_list_errors(specs)
        if errors:
            raise ValidationError(errors)


class ContactInlineForm(forms.ModelForm):
    """A contact on its team's admin page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        validate_names_of(self, "name")


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["team", "order", *Contact.EDITABLE_FIELDS, "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        validate_names_of(self, "name")

    def clean(self):
        cleaned = super().clean()
        team = cleaned.get("team")
        if team is None or self.errors:
            return cleaned
        others = team.contacts.filter(active=True).exclude(pk=self.instance.pk)
        specs = [c.spec() for c in others.prefetch_related("hours")]
        if cleaned.get("active", True):
            specs.append(_spec(cleaned))
        errors = contact_list_errors(specs)
        left = self.instance.team if self.instance.pk else None
        if left is not None and left != team:
            # Moving a contact away must not leave its old team without a 24/7 red contact.
            remaining = left.contacts.filter(active=True).exclude(pk=self.instance.pk)
            errors += [
                f"{left}: {e}"
                for e in contact_list_errors(
                    [c.spec() for c in remaining.prefetch_related("hours")]
                )
            ]
        if errors:
            raise ValidationError(errors)
        return cleaned
