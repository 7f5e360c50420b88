from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's, refusing a username longer than any account's before anything looks
    it up: django-axes records a failed username in a VARCHAR(255), which PostgreSQL
    would refuse with a server error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))
        field.help_text = "Carers: your username is your email address."


class NewPasswordForm(SetPasswordForm):
    """Django's, in plain words: 'New password confirmation' becomes 'again'."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].label = "The same password again"


class CodeForm(forms.Form):
    """A code from an authenticator app (accounts/two_factor.py)."""

    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        help_text="Six digits. A new code appears every 30 seconds.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError("Enter the 6 digits shown in your authenticator app.")
        return code


class ActivationForm(forms.Form):
    """The one-time activation code an admin gave, before a first authenticator app
    is set up (accounts/activation.py)."""

    activation = forms.CharField(
        label="Activation code",
        max_length=40,
        help_text="From an administrator: 16 letters and digits, such as ABCD-EFGH-JKMN-PQRS.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
