from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

from alerts.views import sms

from . import preferences

# The admin asks for a verified second factor too (as SecondFactorMiddleware does
# for every page), and its login is ours: one login page, watched by django-axes.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("", include("accounts.urls")),
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("text-size/", preferences.set_text_size, name="set_text_size"),
    path("health/", include("symptom_tracker.health")),
    path("triage/", include("alerts.urls")),
    # The SMS provider's webhook: replies by SMS become check-ins (signed, no session).
    path("sms/inbound/", sms.inbound, name="sms_inbound"),
    # The FHIR API: token-only, no session (fhir/auth.py); before the patients' pages.
    path("fhir/", include("fhir.urls")),
    path("", include("patients.urls")),
]
