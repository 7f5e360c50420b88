"""A check-in and its flags are not deleted one at a time in the admin: an episode
counts its flags and shows its newest (Episode.flag_count, latest_flag), and the
queue reads them from it. A patient's whole record goes by erasure."""

from django.urls import reverse

from ..factories import make_check_in, make_flag


def test_an_admin_cannot_delete_a_check_in_or_a_flag(admin_client_, patient):
    check_in = make_check_in(patient, stools_per_day=9)
    flag = make_flag(check_in, "stools_per_day", "red")

    for name, pk in (("checkin", check_in.pk), ("flag", flag.pk)):
        page = admin_client_.get(reverse(f"admin:patients_{name}_delete", args=[pk]))
        assert page.status_code == 403, name
        sent = admin_client_.post(
            reverse(f"admin:patients_{name}_delete", args=[pk]), {"post": "yes"}
        )
        assert sent.status_code == 403, name

    flag.episode.refresh_from_db()
    assert (flag.episode.latest_flag_id, flag.episode.flag_count) == (flag.pk, 1)
