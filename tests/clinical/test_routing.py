"""Routing (shared/clinical/REFERENCE.md, "Routing"): hours, duty, route and escalation."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinical.routing import (
    ALWAYS,
    ESCALATE_AFTER,
    ContactSpec,
    HoursError,
    Window,
    contact_list_errors,
    next_in_chain,
    next_on_duty,
    on_duty,
    parse_days,
    parse_hours,
    parse_time,
    parse_window,
    route,
)
from clinical.urgency import AMBER, EMERGENCY, GREEN, RED, routed_as

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
OFFICE = [{"days": "mon-fri", "start": "09:00", "end": "17:00"}]


def utc(text: str) -> datetime:
    """'2026-11-24 10:00' read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def contact(name, handles, order, hours=ALWAYS) -> ContactSpec:
    return ContactSpec(name, frozenset(handles), order, parse_hours(hours))


def office(name="Nurse", handles=(AMBER, RED), order=1, days="mon-fri", start="09:00", end="17:00"):
    return contact(name, handles, order, [{"days": days, "start": start, "end": end}])


# The team of the public vignettes: an in-hours nurse, a 24-hour line and a registrar.
NURSE = office("Immunotherapy nurse specialist")
LINE = contact("Acute oncology 24-hour line", (AMBER, RED), 2)
REGISTRAR = contact("On-call oncology registrar", (RED,), 3)
TEAM = [NURSE, LINE, REGISTRAR]

# 2026-11-24 is a Tuesday; London is on GMT (UTC+0) then.
TUESDAY_10 = utc("2026-11-24 10:00")
TUESDAY_20 = utc("2026-11-24 20:00")
SATURDAY_NOON = utc("2026-11-28 12:00")


# parse_days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon", {0}),
        ("sun", {6}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat,sun", {5, 6}),
        ("mon, wed ,fri", {0, 2, 4}),
        ("MON-Fri", {0, 1, 2, 3, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("sun-tue", {6, 0, 1}),
        ("mon-sun", set(range(7))),
        ("wed-wed", {2}),
        ("mon-tue,thu-fri", {0, 1, 3, 4}),
    ],
)
def test_it_parses_days_lists_and_ranges(text, expected):
    assert parse_days(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text", ["", "monday", "mon-friday", "xyz", "mon-fri-sat", "mon,,fri", "1-5", "mon;fri"]
)
def test_it_rejects_days_it_does_not_know(text):
    with pytest.raises(HoursError, match="days are mon"):
        parse_days(text)


# parse_time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("00:00", 0),
        ("09:00", 540),
        ("09:30", 570),
        ("17:45", 1065),
        ("23:59", 1439),
        ("24:00", 1440),
        (" 08:15 ", 495),
    ],
)
def test_it_parses_times_to_minutes_after_midnight(text, minutes):
    assert parse_time(text) == minutes


@pytest.mark.parametrize(
    "text",
    ["24:01", "24:30", "25:00", "9:00", "09:60", "0900", "09.00", "", "noon", "09:00:00", "-1:00"],
)
def test_it_rejects_a_time_that_is_not_hh_mm_up_to_24_00(text):
    with pytest.raises(HoursError, match="HH:MM"):
        parse_time(text)


# parse_window and parse_hours ------------------------------------------------------------


def test_it_parses_a_window():
    assert parse_window("mon-fri", "09:00", "17:00") == Window(frozenset(range(5)), 540, 1020)


def test_it_parses_a_window_that_ends_at_24_00():
    window = parse_window("sat", "17:00", "24:00")
    assert window == Window(frozenset({5}), 1020, 1440)
    assert window.covers(5, 1439)


@pytest.mark.parametrize(
    ("start", "end"), [("17:00", "09:00"), ("22:00", "06:00"), ("23:59", "00:00")]
)
def test_it_rejects_a_window_that_crosses_midnight(start, end):
    with pytest.raises(HoursError, match="crosses midnight"):
        parse_window("mon", start, end)


@pytest.mark.parametrize(
    ("start", "end"), [("09:00", "09:00"), ("00:00", "00:00"), ("24:00", "24:00")]
)
def test_it_rejects_an_empty_window(start, end):
    with pytest.raises(HoursError):
        parse_window("mon", start, end)


def test_it_rejects_a_window_with_bad_days_or_times():
    with pytest.raises(HoursError):
        parse_window("weekdays", "09:00", "17:00")
    with pytest.raises(HoursError):
        parse_window("mon", "9am", "17:00")


def test_it_includes_the_start_of_a_window_and_excludes_its_end():
    window = parse_window("mon", "09:00", "17:00")
    assert not window.covers(0, 539)
    assert window.covers(0, 540)
    assert window.covers(0, 1019)
    assert not window.covers(0, 1020)
    assert not window.covers(1, 600)


def test_it_parses_24_7_hours():
    assert parse_hours("24/7") == ALWAYS


def test_it_parses_a_list_of_windows():
    hours = parse_hours(
        [
            {"days": "mon-fri", "start": "17:00", "end": "24:00"},
            {"days": "tue-sat", "start": "00:00", "end": "09:00"},
            {"days": "sat,sun", "start": "00:00", "end": "24:00"},
        ]
    )
    assert hours == (
        Window(frozenset(range(5)), 1020, 1440),
        Window(frozenset(range(1, 6)), 0, 540),
        Window(frozenset({5, 6}), 0, 1440),
    )


@pytest.mark.parametrize("hours", ["", "24x7", "24/7 ", "9-5", "mon-fri", [], None, ()])
def test_it_rejects_hours_that_are_neither_24_7_nor_windows(hours):
    with pytest.raises(HoursError, match="24/7"):
        parse_hours(hours)


def test_it_rejects_hours_with_a_window_crossing_midnight():
    with pytest.raises(HoursError, match="midnight"):
        parse_hours([{"days": "mon-fri", "start": "20:00", "end": "08:00"}])


# on_duty ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "at", "expected"),
    [
        # London in winter (GMT, UTC+0) and summer (BST, UTC+1).
        (LONDON, "2026-11-24 08:59", False),
        (LONDON, "2026-11-24 09:00", True),
        (LONDON, "2026-11-24 16:59", True),
        (LONDON, "2026-11-24 17:00", False),
        (LONDON, "2026-06-16 07:59", False),
        (LONDON, "2026-06-16 08:00", True),
        (LONDON, "2026-06-16 15:59", True),
        (LONDON, "2026-06-16 16:00", False),
        # New York in winter (EST, UTC-5) and summer (EDT, UTC-4).
        (NEW_YORK, "2026-11-24 13:59", False),
        (NEW_YORK, "2026-11-24 14:00", True),
        (NEW_YORK, "2026-11-24 21:59", True),
        (NEW_YORK, "2026-11-24 22:00", False),
        (NEW_YORK, "2026-06-16 12:59", False),
        (NEW_YORK, "2026-06-16 13:00", True),
        (NEW_YORK, "2026-06-16 20:59", True),
        (NEW_YORK, "2026-06-16 21:00", False),
        # Kolkata (IST, UTC+5:30, no daylight saving).
        (KOLKATA, "2026-06-16 03:29", False),
        (KOLKATA, "2026-06-16 03:30", True),
        (KOLKATA, "2026-11-24 11:29", True),
        (KOLKATA, "2026-11-24 11:30", False),
        # Saturday 2026-11-28, but Friday evening in New York; Monday morning in Kolkata
        # is still Sunday in UTC.
        (NEW_YORK, "2026-11-28 02:00", False),
        (KOLKATA, "2026-11-29 22:00", False),
        (KOLKATA, "2026-11-30 03:30", True),
    ],
)
def test_it_reads_office_hours_in_the_teams_time_zone(tz, at, expected):
    assert on_duty(NURSE, utc(at), tz) is expected


def test_it_takes_the_weekday_from_the_teams_time_zone():
    friday_evening = office(days="fri", start="18:00", end="24:00")
    monday_night = office(days="mon", start="00:00", end="09:00")
    # Saturday 04:00 UTC is Friday 23:00 in New York.
    assert on_duty(friday_evening, utc("2026-11-28 04:00"), NEW_YORK)
    assert not on_duty(friday_evening, utc("2026-11-28 04:00"), LONDON)
    # Sunday 19:00 UTC is Monday 00:30 in Kolkata.
    assert on_duty(monday_night, utc("2026-11-29 19:00"), KOLKATA)
    assert not on_duty(monday_night, utc("2026-11-29 19:00"), LONDON)


@pytest.mark.parametrize("at", ["2026-11-24 03:00", "2026-11-28 23:59", "2026-03-29 01:30"])
@pytest.mark.parametrize("tz", [LONDON, NEW_YORK, KOLKATA])
def test_it_has_a_24_7_contact_always_on_duty(tz, at):
    assert on_duty(LINE, utc(at), tz)


@pytest.mark.parametrize(
    ("tz", "at", "expected"),
    [
        # London, 2026-03-29: clocks go forward at 01:00 UTC, a 23-hour Sunday.
        (LONDON, "2026-03-28 23:59", False),
        (LONDON, "2026-03-29 00:00", True),
        (LONDON, "2026-03-29 22:59", True),
        (LONDON, "2026-03-29 23:00", False),
        # London, 2026-10-25: clocks go back at 01:00 UTC, a 25-hour Sunday.
        (LONDON, "2026-10-24 22:59", False),
        (LONDON, "2026-10-24 23:00", True),
        (LONDON, "2026-10-25 23:59", True),
        (LONDON, "2026-10-26 00:00", False),
        # New York, 2026-03-08 (spring forward at 07:00 UTC) and 2026-11-01 (fall back).
        (NEW_YORK, "2026-03-08 04:59", False),
        (NEW_YORK, "2026-03-08 05:00", True),
        (NEW_YORK, "2026-03-09 03:59", True),
        (NEW_YORK, "2026-03-09 04:00", False),
        (NEW_YORK, "2026-11-01 03:59", False),
        (NEW_YORK, "2026-11-01 04:00", True),
        (NEW_YORK, "2026-11-02 04:59", True),
        (NEW_YORK, "2026-11-02 05:00", False),
    ],
)
def test_it_covers_a_whole_sunday_on_the_days_the_clocks_change(tz, at, expected):
    sunday = office(days="sun", start="00:00", end="24:00")
    assert on_duty(sunday, utc(at), tz) is expected


def test_it_reads_a_window_across_the_hour_skipped_when_the_clocks_go_forward():
    # London 2026-03-29: 01:00-02:00 local does not exist; 02:00 BST is 01:00 UTC.
    night = office(days="sun", start="01:00", end="03:00")
    assert not on_duty(night, utc("2026-03-29 00:59"), LONDON)
    assert on_duty(night, utc("2026-03-29 01:00"), LONDON)
    assert on_duty(night, utc("2026-03-29 01:59"), LONDON)
    assert not on_duty(night, utc("2026-03-29 02:00"), LONDON)


def test_it_covers_both_passes_of_the_hour_repeated_when_the_clocks_go_back():
    # London 2026-10-25: 01:00-02:00 local happens twice, 00:00-02:00 UTC.
    night = office(days="sun", start="01:00", end="02:00")
    assert not on_duty(night, utc("2026-10-24 23:59"), LONDON)
    assert on_duty(night, utc("2026-10-25 00:00"), LONDON)
    assert on_duty(night, utc("2026-10-25 01:30"), LONDON)
    assert not on_duty(night, utc("2026-10-25 02:00"), LONDON)


# next_on_duty ----------------------------------------------------------------------------


def test_it_gives_the_same_instant_as_next_on_duty_when_on_duty():
    assert next_on_duty(NURSE, TUESDAY_10, LONDON) == TUESDAY_10
    assert next_on_duty(LINE, TUESDAY_20, LONDON) == TUESDAY_20


@pytest.mark.parametrize(
    ("tz", "at", "expected"),
    [
        # Same day, before the start.
        (LONDON, "2026-11-24 07:00", "2026-11-24 09:00"),
        (NEW_YORK, "2026-11-24 07:00", "2026-11-24 14:00"),
        (KOLKATA, "2026-11-24 01:00", "2026-11-24 03:30"),
        # After the end, the next morning.
        (LONDON, "2026-11-24 17:00", "2026-11-25 09:00"),
        (KOLKATA, "2026-11-24 11:30", "2026-11-25 03:30"),
        # Over a weekend.
        (LONDON, "2026-11-27 17:00", "2026-11-30 09:00"),
        (NEW_YORK, "2026-11-27 22:00", "2026-11-30 14:00"),
        (KOLKATA, "2026-11-27 11:30", "2026-11-30 03:30"),
        # Over the weekends the clocks change.
        (LONDON, "2026-03-27 17:00", "2026-03-30 08:00"),
        (LONDON, "2026-10-23 16:00", "2026-10-26 09:00"),
        (NEW_YORK, "2026-03-06 22:00", "2026-03-09 13:00"),
        (NEW_YORK, "2026-10-30 21:00", "2026-11-02 14:00"),
    ],
)
def test_it_finds_the_next_on_duty_time_in_the_teams_time_zone(tz, at, expected):
    found = next_on_duty(NURSE, utc(at), tz)
    assert found == utc(expected)
    assert on_duty(NURSE, found, tz)
    assert not on_duty(NURSE, found - timedelta(minutes=1), tz)


def test_it_finds_a_weekly_window_a_week_ahead():
    sunday_clinic = office(days="sun", start="09:00", end="10:00")
    assert next_on_duty(sunday_clinic, utc("2026-11-29 10:00"), LONDON) == utc("2026-12-06 09:00")


def test_it_takes_the_earliest_of_several_windows():
    split = contact(
        "Split",
        (AMBER,),
        1,
        [
            {"days": "mon-fri", "start": "13:00", "end": "17:00"},
            {"days": "tue", "start": "08:00", "end": "12:00"},
        ],
    )
    assert next_on_duty(split, utc("2026-11-23 18:00"), LONDON) == utc("2026-11-24 08:00")
    assert next_on_duty(split, utc("2026-11-24 12:00"), LONDON) == utc("2026-11-24 13:00")


def test_it_reads_a_start_in_the_skipped_hour_as_after_the_clocks_go_forward():
    night = office(days="sun", start="01:30", end="03:00")
    found = next_on_duty(night, utc("2026-03-28 12:00"), LONDON)
    assert found == utc("2026-03-29 01:30")  # 02:30 BST
    assert on_duty(night, found, LONDON)


@pytest.mark.parametrize(
    ("tz", "start", "end", "at", "expected"),
    [
        # London skips 01:00-02:00 on 2026-03-29; the window's next real pass is 5 April.
        (LONDON, "01:00", "02:00", "2026-03-28 12:00", "2026-04-05 00:00"),
        (LONDON, "01:15", "01:45", "2026-03-28 12:00", "2026-04-05 00:15"),
        # New York skips 02:00-03:00 on 2026-03-08; the next real pass is 15 March.
        (NEW_YORK, "02:00", "03:00", "2026-03-07 12:00", "2026-03-15 06:00"),
    ],
    ids=["London 01:00-02:00", "London 01:15-01:45", "New York 02:00-03:00"],
)
def test_it_never_waits_for_a_window_lost_in_the_hour_skipped_when_the_clocks_go_forward(
    tz, start, end, at, expected
):
    # REFERENCE.md: amber "waits for the first on-duty time of such a contact".
    lost = office(handles=(AMBER,), days="sun", start=start, end=end)
    found = next_on_duty(lost, utc(at), tz)
    assert found is not None
    assert on_duty(lost, found, tz), f"{found} is not an on-duty time"
    assert found == utc(expected)


def test_it_takes_the_first_pass_of_a_start_in_the_repeated_hour():
    night = office(days="sun", start="01:00", end="02:00")
    found = next_on_duty(night, utc("2026-10-24 12:00"), LONDON)
    # An ambiguous local time never equals another zone's datetime (PEP 495): compare in UTC.
    assert found.astimezone(UTC) == utc("2026-10-25 00:00")  # 01:00 BST, the first pass
    assert on_duty(night, found, LONDON)


def test_it_has_no_next_on_duty_time_without_windows():
    assert (
        next_on_duty(ContactSpec("Nobody", frozenset({AMBER}), 1, ()), TUESDAY_10, LONDON) is None
    )


# route -----------------------------------------------------------------------------------


def test_it_routes_nothing_for_green():
    assert route(TEAM, GREEN, TUESDAY_10, LONDON) is None


@pytest.mark.parametrize(
    ("urgency", "at", "expected"),
    [
        (AMBER, TUESDAY_10, NURSE),
        (RED, TUESDAY_10, NURSE),
        (EMERGENCY, TUESDAY_10, NURSE),
        (AMBER, TUESDAY_20, LINE),
        (RED, TUESDAY_20, LINE),
        (EMERGENCY, TUESDAY_20, LINE),
        (AMBER, SATURDAY_NOON, LINE),
        (RED, SATURDAY_NOON, LINE),
    ],
)
def test_it_routes_to_the_lowest_order_contact_on_duty_that_handles_the_urgency(
    urgency, at, expected
):
    chosen = route(TEAM, urgency, at, LONDON)
    assert chosen.contact == expected
    assert chosen.deliver_at == at


def test_it_picks_by_order_not_by_list_position():
    chosen = route(list(reversed(TEAM)), RED, TUESDAY_10, LONDON)
    assert chosen.contact == NURSE


def test_it_routes_an_emergency_as_red():
    red_only = [office("Day red", handles=(RED,), order=1), contact("Night red", (RED,), 2)]
    assert route(red_only, EMERGENCY, TUESDAY_10, LONDON).contact.name == "Day red"
    assert route(red_only, EMERGENCY, TUESDAY_20, LONDON).contact.name == "Night red"
    assert route(red_only, EMERGENCY, TUESDAY_20, LONDON).reason.startswith("red")
    assert routed_as(EMERGENCY) == RED
    assert routed_as(AMBER) == AMBER
    assert red_only[0].handles_urgency(EMERGENCY)
    assert not red_only[0].handles_urgency(AMBER)


def test_it_makes_amber_wait_for_the_next_on_duty_time_when_nobody_is_on_duty():
    team = [office("Nurse", handles=(AMBER,), order=1), contact("Registrar", (RED,), 2)]
    chosen = route(team, AMBER, SATURDAY_NOON, LONDON)
    assert chosen.contact.name == "Nurse"
    assert chosen.deliver_at == utc("2026-11-30 09:00")
    assert "waits" in chosen.reason


@pytest.mark.parametrize(
    ("tz", "at", "expected"),
    [
        (LONDON, "2026-03-28 12:00", "2026-03-30 08:00"),
        (LONDON, "2026-10-24 12:00", "2026-10-26 09:00"),
        (NEW_YORK, "2026-03-07 12:00", "2026-03-09 13:00"),
        (NEW_YORK, "2026-10-31 12:00", "2026-11-02 14:00"),
        (KOLKATA, "2026-11-28 12:00", "2026-11-30 03:30"),
    ],
)
def test_it_makes_amber_wait_across_a_clock_change(tz, at, expected):
    team = [office("Nurse", handles=(AMBER,), order=1), contact("Registrar", (RED,), 2)]
    assert route(team, AMBER, utc(at), tz).deliver_at == utc(expected)


def test_it_makes_amber_wait_for_the_earliest_contact_rather_than_the_lowest_order():
    team = [
        office("Weekday nurse", handles=(AMBER,), order=1),
        office("Weekend clinic", handles=(AMBER,), order=2, days="sat,sun", start="10:00"),
        contact("Registrar", (RED,), 3),
    ]
    chosen = route(team, AMBER, utc("2026-11-28 08:00"), LONDON)
    assert chosen.contact.name == "Weekend clinic"
    assert chosen.deliver_at == utc("2026-11-28 10:00")


def test_it_makes_amber_wait_for_the_lower_order_on_a_tie():
    team = [
        office("Second nurse", handles=(AMBER,), order=5),
        office("First nurse", handles=(AMBER,), order=3),
        contact("Registrar", (RED,), 9),
    ]
    assert route(team, AMBER, SATURDAY_NOON, LONDON).contact.name == "First nurse"


def test_it_routes_red_to_a_24_7_contact_when_nobody_else_handling_red_is_on_duty():
    team = [office("Nurse", handles=(AMBER, RED), order=1), contact("Registrar", (RED,), 2)]
    chosen = route(team, RED, SATURDAY_NOON, LONDON)
    assert chosen.contact.name == "Registrar"
    assert chosen.deliver_at == SATURDAY_NOON


def test_it_never_makes_red_wait():
    team = [office("Nurse", handles=(AMBER, RED), order=1), contact("Registrar", (RED,), 2)]
    for urgency in (RED, EMERGENCY):
        assert route(team, urgency, SATURDAY_NOON, LONDON).deliver_at == SATURDAY_NOON


def test_it_finds_no_red_contact_in_an_invalid_list_without_a_24_7_one():
    team = [office("Nurse", handles=(AMBER, RED), order=1)]
    assert route(team, RED, SATURDAY_NOON, LONDON) is None
    assert contact_list_errors(team)


def test_it_finds_no_amber_contact_when_nobody_handles_amber():
    assert route([contact("Registrar", (RED,), 1)], AMBER, TUESDAY_10, LONDON) is None


# next_in_chain and escalation ------------------------------------------------------------


def test_it_escalates_after_15_minutes_for_red_and_4_hours_for_amber():
    assert dict(ESCALATE_AFTER) == {RED: timedelta(minutes=15), AMBER: timedelta(hours=4)}


@pytest.mark.parametrize(
    ("urgency", "after", "at", "expected"),
    [
        (RED, 1, TUESDAY_10, LINE),
        (RED, 2, TUESDAY_10, REGISTRAR),
        (RED, 3, TUESDAY_10, None),
        (EMERGENCY, 1, TUESDAY_10, LINE),
        (RED, 0, TUESDAY_20, LINE),
        (AMBER, 1, TUESDAY_10, LINE),
        (AMBER, 2, TUESDAY_10, None),
    ],
)
def test_it_escalates_to_the_next_contact_by_order_that_handles_it_and_is_on_duty(
    urgency, after, at, expected
):
    assert next_in_chain(TEAM, urgency, after, at, LONDON) == expected


def test_it_skips_contacts_off_duty_when_escalating():
    team = [
        contact("Line", (RED,), 1),
        office("Day consultant", handles=(RED,), order=2),
        contact("Registrar", (RED,), 3),
    ]
    assert next_in_chain(team, RED, 1, TUESDAY_10, LONDON).name == "Day consultant"
    assert next_in_chain(team, RED, 1, TUESDAY_20, LONDON).name == "Registrar"
    # Tuesday 09:00 in New York is 14:00 UTC.
    assert next_in_chain(team, RED, 1, TUESDAY_10, NEW_YORK).name == "Registrar"


# contact_list_errors ---------------------------------------------------------------------


def test_it_accepts_a_contact_list_with_a_24_7_red_contact_and_distinct_orders():
    assert contact_list_errors(TEAM) == []


@pytest.mark.parametrize(
    "contacts",
    [
        [],
        [office("Nurse", handles=(AMBER, RED), order=1)],
        [office("Nurse", handles=(RED,), order=1), contact("Line", (AMBER,), 2)],
        [contact("Line", (AMBER, EMERGENCY), 1)],
    ],
    ids=["empty", "in hours only", "24/7 handles amber only", "24/7 handles emergency only"],
)
def test_it_rejects_a_contact_list_without_a_24_7_red_contact(contacts):
    errors = contact_list_errors(contacts)
    assert any("24/7" in e for e in errors)


def test_it_rejects_a_contact_list_where_nobody_handles_amber():
    errors = contact_list_errors([contact("Line", (RED,), 1)])
    assert errors == ["The contact list needs a contact that handles amber alerts."]


def test_it_rejects_a_contact_list_with_duplicate_orders():
    errors = contact_list_errors([NURSE, contact("Line", (RED,), 1)])
    assert len(errors) == 1
    assert "same order" in errors[0]


def test_it_reports_both_errors_at_once():
    errors = contact_list_errors([office("A", order=1), office("B", order=1)])
    assert len(errors) == 2
