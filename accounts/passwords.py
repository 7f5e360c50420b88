"""Password reset by email, and what limits it.

The page says the same whether or not an address has an account, and answers as
fast either way: the worker finds the account and sends the email
(send_password_reset_email). Requests are limited an hour for one email address
and from one client (base/throttle.py).
"""

import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm


def same_address(email: str) -> str:
    """One spelling for every way of typing an address that finds the same account:
    the database matches case-insensitively, and PostgreSQL's UPPER() takes some
    characters to ASCII that Python's lower() keeps (the long s, U+017F, is an 's')."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def send_password_reset(email: str) -> None:
    """Email a reset link to each active account with this address (Django's form does
    the finding, the token and the sending). Its link is built on SITE_URL."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=urlsplit(settings.SITE_URL).netloc,
            use_https=settings.SITE_URL.startswith("https:"),
            email_template_name="registration/password_reset_email.html",
            subject_template_name="registration/password_reset_subject.txt",
            extra_email_context={"site_url": settings.SITE_URL},
        )
