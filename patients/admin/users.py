"""The admin of user accounts: Django's own, with names that refuse control characters
(a patient's name is their account's first and last name, and reaches email headers)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from base.validators import validate_names_of

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
class AccountAdmin(UserAdmin):
    form = UserNamesForm
    add_form = NewUserNamesForm
