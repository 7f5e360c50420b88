from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from . import two_factor, views
from .forms import LoginForm

second_factor = (
    [
        path("", two_factor.verify, name="verify"),
        path("setup/", two_factor.setup, name="setup"),
    ],
    "two_factor",
)

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", include(second_factor)),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("password_reset_complete")),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("welcome/<uidb64>/<token>/", views.Welcome.as_view(), name="welcome"),
]
