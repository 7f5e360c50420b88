"""The admin's user pages (patients/admin/users.py), with one action more: issuing
an activation code, which a clinician or admin needs to set up their first
authenticator app (accounts/activation.py). The codes are shown on the page that
follows, once."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse

from patients.admin.users import AccountAdmin

from .activation import activation_issue
from .two_factor import confirmed_device, needs_second_factor

User = get_user_model()


class TwoFactorAccountAdmin(AccountAdmin):
    actions = [*(AccountAdmin.actions or ()), "issue_two_factor_activation"]

    @admin.action(
        description="Issue a two-factor activation code (to set up an authenticator app)",
        permissions=["change"],
    )
    def issue_two_factor_activation(self, request, queryset):
        issued, skipped = [], []
        for user in queryset.order_by("username"):
            if not needs_second_factor(user):
                skipped.append((user, "is not asked for a second factor (not staff or in a team)"))
            elif confirmed_device(user) is not None:
                skipped.append(
                    (user, "has an authenticator app already: delete it first (TOTP devices)")
                )
            else:
                issued.append(activation_issue(user=user, request=request))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Two-factor activation codes",
            "issued": issued,
            "skipped": skipped,
        }
        return TemplateResponse(request, "admin/auth/user/two_factor_activations.html", context)


# patients/admin/users.py registered AccountAdmin when it was imported above.
admin.site.unregister(User)
admin.site.register(User, TwoFactorAccountAdmin)
