"""Reading preferences anyone can set, logged in or not: the text size.

(The language is Django's own set_language view, under /i18n/.) Both are kept in
a cookie so that they hold on the login page and across sessions.
"""

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

TEXT_SIZE_COOKIE = "text_size"
TEXT_SIZES = {"normal": "Standard", "large": "Large", "larger": "Larger"}
ONE_YEAR = 365 * 24 * 3600


def text_size(request) -> str:
    size = request.COOKIES.get(TEXT_SIZE_COOKIE, "normal")
    return size if size in TEXT_SIZES else "normal"


@require_POST
def set_text_size(request):
    size = request.POST.get("size")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if size in TEXT_SIZES:
        response.set_cookie(
            TEXT_SIZE_COOKIE,
            size,
            max_age=ONE_YEAR,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    return response
