"""Times are shown in the viewer's zone during their request, and only then."""

import re

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .conftest import login


def test_a_request_shows_the_viewers_zone_and_leaves_none_behind(client, other_nurse):
    """A New York nurse's page is drawn in New York time; what runs after it on the
    same thread (the next request, a task run in the process) starts from the
    server's zone again."""
    login(client, other_nurse)

    response = client.get(reverse("alerts:queue"))

    assert response.status_code == 200
    assert re.search(r'<time datetime="[^"]+-0[45]:00">', response.text)  # EST or EDT
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
