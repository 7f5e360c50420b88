"""The admin of user accounts: Django's own, with names that refuse control characters
(a patient's name is their account's first and last name, and reaches email headers)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from base.validators import validate_names_of

from ..audit import AuditedAdmin

NAME_FIELDS = ("first_name", "last_name")


class UserNamesForm(UserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        validate_names_of(self, *NAME_FIELDS)


class NewUserNamesForm(AdminUserCreationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        validate_names_of(self, *NAME_FIELDS)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(AuditedAdmin, UserAdmin):
    """A patient's account holds their name and email: opening it, listing or
    searching accounts (from another page's autocomplete box too), and changing it are
    recorded as for the patient's own page."""

    form = UserNamesForm
    add_form = NewUserNamesForm
    list_select_related = ["patient"]

    def audit_patient(self, user):
        patient = getattr(user, "patient", None)
        return patient.pk if patient is not None else None
