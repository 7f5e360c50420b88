"""API clients in the Django admin: an admin makes a record system's client (its name,
its care teams, its scopes) and is shown its secret once; revokes it (every token it
holds stops working at once). The toolkit's own pages (applications, tokens, grants)
are not shown: a client is made and revoked here only, and tokens are kept as
hashes, which nobody needs to read."""

import oauth2_provider.admin  # noqa: F401  (registers the toolkit's pages, undone below)
from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from patients.models import CareTeam

from .models import ClientAccess
from .oauth import create_client, revoke_client
from .scopes import ALL_READ, SCOPES

for model in (Application, AccessToken, RefreshToken, Grant, IDToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def validate_scopes(value: str) -> None:
    unknown = [s for s in value.split() if s not in SCOPES]
    if unknown or not value.split():
        raise forms.ValidationError(
            "Read scopes only, separated by spaces: %(known)s.", params={"known": ", ".join(SCOPES)}
        )


class NewClientForm(forms.ModelForm):
    name = forms.CharField(
        max_length=255, help_text="The record system, as the hospital knows it (e.g. 'Epic EPR')"
    )

    class Meta:
        model = ClientAccess
        fields = ["name", "teams", "scopes"]

    def clean_scopes(self):
        value = self.cleaned_data["scopes"]
        validate_scopes(value)
        return value


class ClientForm(forms.ModelForm):
    class Meta:
        model = ClientAccess
        fields = ["teams", "scopes"]

    def clean_scopes(self):
        value = self.cleaned_data["scopes"]
        validate_scopes(value)
        return value


@admin.register(ClientAccess)
class ClientAccessAdmin(admin.ModelAdmin):
    list_display = ["name", "client_id", "team_names", "scopes", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["application"]
    search_fields = ["application__name", "application__client_id"]
    filter_horizontal = ["teams"]
    readonly_fields = ["name", "client_id", "created_by", "created_at", "revoked_at"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ClientForm if obj is not None else NewClientForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "teams", "scopes"]
        return ["name", "client_id", "teams", "scopes", "created_by", "created_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_changeform_initial_data(self, request):
        return {"scopes": ALL_READ}

    @admin.display(description="name", ordering="application__name")
    def name(self, obj):
        return obj.application.name

    @admin.display(description="client id")
    def client_id(self, obj):
        return obj.application.client_id

    @admin.display(description="teams")
    def team_names(self, obj):
        return ", ".join(t.name for t in obj.teams.all())

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the trail names the client

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        access, secret = create_client(
            name=form.cleaned_data["name"],
            teams=CareTeam.objects.none(),
            created_by=request.user,
            scopes=form.cleaned_data["scopes"],
        )
        obj.pk, obj.application = access.pk, access.application
        obj._state.adding = False
        obj._secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        """The secret, shown on this page only: it is kept only as a hash."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API client created",
            "access": obj,
            "client_id": obj.application.client_id,
            "secret": obj._secret,
            "teams": list(obj.teams.all()),
        }
        return TemplateResponse(request, "fhir/admin/client_created.html", context)

    @admin.action(description="Revoke the selected API clients (their tokens stop at once)")
    def revoke(self, request, queryset):
        for access in queryset:
            revoke_client(access)
        messages.success(request, f"Revoked {queryset.count()} API client(s).")
