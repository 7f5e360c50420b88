from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

from . import accounts, preferences, two_factor

# The admin asks for a verified second factor too (as SecondFactorMiddleware does
# for every page), and its login is ours: one login page, watched by django-axes.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(form_class=accounts.LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", include(two_factor)),
    path("", include(accounts)),
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("text-size/", preferences.set_text_size, name="set_text_size"),
    path("health/", include("symptom_tracker.health")),
    path("triage/", include("alerts.urls")),
    path("", include("patients.urls")),
]
