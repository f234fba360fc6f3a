"""Send windows (engine/sendwindow.py): weekends, French public holidays, Alsace-Moselle, DST, cooldown."""

from __future__ import annotations

import datetime as dt

import pytest

from relance.engine.sendwindow import (
    SendWindow,
    closed_reason,
    holiday_calendar,
    is_send_day,
    next_send_day,
    send_window,
)

PARIS = "Europe/Paris"
FR = holiday_calendar("FR", None, [2025, 2026])
MOSELLE = holiday_calendar("FR-57", None, [2025, 2026])
D = dt.date


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def window(now: dt.datetime, holidays=FR, business_days_only: bool = True, hour: int = 9) -> SendWindow:
    return send_window(now, PARIS, hour, business_days_only, holidays)


# ---------------------------------------------------------------- holidays


@pytest.mark.parametrize(("day", "name"), [
    (D(2025, 4, 21), "Lundi de Pâques"),
    (D(2025, 5, 1), "Fête du Travail"),
    (D(2025, 6, 9), "Lundi de Pentecôte"),
    (D(2025, 7, 14), "Fête nationale"),
    (D(2026, 8, 15), "Assomption"),
])
def test_french_public_holidays_are_named(day, name):
    assert FR.get(day) == name
    assert closed_reason(day, True, FR) == f"public holiday: {name}"
    assert not is_send_day(day, True, FR)


@pytest.mark.parametrize(("country", "subdivision"), [
    ("FR-57", None), ("FR-67", None), ("FR-68", None), ("fr-57", None),
    ("FR", "57"), ("FR", "alsace-moselle"), ("FR", "Alsace Moselle"), ("FR", "Moselle"), ("FR", "alsace"),
])
def test_alsace_moselle_adds_good_friday_and_26_december(country, subdivision):
    cal = holiday_calendar(country, subdivision, [2025])
    assert cal.get(D(2025, 4, 18)) == "Vendredi saint"
    assert cal.get(D(2025, 12, 26)) == "Saint-Étienne"
    assert not is_send_day(D(2025, 12, 26), True, cal)


def test_paris_works_on_good_friday_and_26_december():
    assert is_send_day(D(2025, 4, 18), True, FR)
    assert is_send_day(D(2025, 12, 26), True, FR)
    assert D(2025, 12, 26) not in FR and D(2025, 12, 26) in MOSELLE


def test_default_country_is_france_and_other_countries_work():
    assert holiday_calendar("", None, [2025]).get(D(2025, 7, 14)) == "Fête nationale"
    assert holiday_calendar().get(D(2025, 7, 14)) == "Fête nationale"
    assert holiday_calendar("GB-ENG", None, [2025]).get(D(2025, 12, 26)) == "Boxing Day"
    assert holiday_calendar("FR", None, [2025], language="en_GB").get(D(2025, 12, 25)) == "Christmas Day"


@pytest.mark.parametrize(("country", "subdivision", "message"), [
    ("XX", None, "is not a country"),
    ("Narnia", None, "is not a country"),
    ("FR-99", None, "is not a subdivision of FR"),
    ("FR-57", "971", "disagree"),
])
def test_unknown_country_or_subdivision_is_a_clear_value_error(country, subdivision, message):
    with pytest.raises(ValueError, match=message):
        holiday_calendar(country, subdivision, [2025])


def test_calendar_answers_for_years_not_requested():
    cal = holiday_calendar("FR", None, [2025])
    assert next_send_day(D(2025, 12, 31), True, cal) == D(2026, 1, 2)  # 1 January 2026 is a Thursday


# ---------------------------------------------------------------- send days


def test_fifteenth_of_august_on_a_saturday_moves_nothing_to_monday():
    assert closed_reason(D(2026, 8, 15), True, FR) == "public holiday: Assomption"
    assert closed_reason(D(2026, 8, 16), True, FR) == "weekend"
    assert next_send_day(D(2026, 8, 14), True, FR) == D(2026, 8, 17)


def test_without_business_days_only_every_day_is_a_send_day():
    for day in (D(2025, 5, 1), D(2025, 5, 3), D(2025, 5, 4)):
        assert is_send_day(day, False, FR)
    assert next_send_day(D(2025, 4, 30), False, FR) == D(2025, 5, 1)


def test_next_send_day_includes_the_day_only_when_asked():
    assert next_send_day(D(2025, 6, 6), True, FR) == D(2025, 6, 10)
    assert next_send_day(D(2025, 6, 6), True, FR, include_day=True) == D(2025, 6, 6)
    assert next_send_day(D(2025, 6, 7), True, FR, include_day=True) == D(2025, 6, 10)


def test_a_calendar_with_no_open_day_fails_instead_of_looping():
    every_day = {D(2025, 1, 1) + dt.timedelta(days=i): "x" for i in range(800)}
    with pytest.raises(ValueError, match="no send day"):
        next_send_day(D(2025, 1, 1), True, every_day)


# ---------------------------------------------------------------- send window
# (now in UTC, what the local date is, open?, reason, next opening in Paris)
SCENARIOS = [
    # Friday before Whit Monday: open, next opening is Tuesday
    ("whit friday", utc(2025, 6, 6, 8, 0), FR, D(2025, 6, 6), True, "",
     dt.datetime(2025, 6, 10, 9)),
    ("whit saturday", utc(2025, 6, 7, 10, 0), FR, D(2025, 6, 7), False, "weekend",
     dt.datetime(2025, 6, 10, 9)),
    ("whit monday", utc(2025, 6, 9, 10, 0), FR, D(2025, 6, 9), False, "public holiday: Lundi de Pentecôte",
     dt.datetime(2025, 6, 10, 9)),
    ("easter monday", utc(2025, 4, 21, 12, 0), FR, D(2025, 4, 21), False, "public holiday: Lundi de Pâques",
     dt.datetime(2025, 4, 22, 9)),
    ("1 may", utc(2025, 5, 1, 12, 0), FR, D(2025, 5, 1), False, "public holiday: Fête du Travail",
     dt.datetime(2025, 5, 2, 9)),
    ("14 july monday", utc(2025, 7, 14, 12, 0), FR, D(2025, 7, 14), False, "public holiday: Fête nationale",
     dt.datetime(2025, 7, 15, 9)),
    ("15 august saturday", utc(2026, 8, 15, 12, 0), FR, D(2026, 8, 15), False, "public holiday: Assomption",
     dt.datetime(2026, 8, 17, 9)),
    ("26 december paris", utc(2025, 12, 26, 9, 0), FR, D(2025, 12, 26), True, "",
     dt.datetime(2025, 12, 29, 9)),
    ("26 december moselle", utc(2025, 12, 26, 9, 0), MOSELLE, D(2025, 12, 26), False,
     "public holiday: Saint-Étienne", dt.datetime(2025, 12, 29, 9)),
    ("good friday alsace", utc(2025, 4, 18, 9, 0), holiday_calendar("FR-67", None, [2025]), D(2025, 4, 18),
     False, "public holiday: Vendredi saint", dt.datetime(2025, 4, 22, 9)),
    ("good friday paris", utc(2025, 4, 18, 9, 0), FR, D(2025, 4, 18), True, "",
     dt.datetime(2025, 4, 22, 9)),
    # spring forward (Sunday 30 March 2025): Friday is UTC+1, Monday UTC+2
    ("friday before spring, 08:59", utc(2025, 3, 28, 7, 59), FR, D(2025, 3, 28), False,
     "before 9:00 Europe/Paris", dt.datetime(2025, 3, 28, 9)),
    ("friday before spring, 09:00", utc(2025, 3, 28, 8, 0), FR, D(2025, 3, 28), True, "",
     dt.datetime(2025, 3, 31, 9)),
    ("spring saturday", utc(2025, 3, 29, 8, 0), FR, D(2025, 3, 29), False, "weekend",
     dt.datetime(2025, 3, 31, 9)),
    ("monday after spring, 08:59", utc(2025, 3, 31, 6, 59), FR, D(2025, 3, 31), False,
     "before 9:00 Europe/Paris", dt.datetime(2025, 3, 31, 9)),
    ("monday after spring, 09:00", utc(2025, 3, 31, 7, 0), FR, D(2025, 3, 31), True, "",
     dt.datetime(2025, 4, 1, 9)),
    # the UTC date is still Sunday while Paris is already Monday
    ("sunday 23:30 utc is monday in paris", utc(2025, 3, 30, 23, 30), FR, D(2025, 3, 31), False,
     "before 9:00 Europe/Paris", dt.datetime(2025, 3, 31, 9)),
    # fall back (Sunday 26 October 2025): Friday UTC+2, Monday UTC+1
    ("friday before autumn, 08:59", utc(2025, 10, 24, 6, 59), FR, D(2025, 10, 24), False,
     "before 9:00 Europe/Paris", dt.datetime(2025, 10, 24, 9)),
    ("friday before autumn, 09:00", utc(2025, 10, 24, 7, 0), FR, D(2025, 10, 24), True, "",
     dt.datetime(2025, 10, 27, 9)),
    ("autumn sunday", utc(2025, 10, 26, 7, 30), FR, D(2025, 10, 26), False, "weekend",
     dt.datetime(2025, 10, 27, 9)),
    ("monday after autumn, 08:59", utc(2025, 10, 27, 7, 59), FR, D(2025, 10, 27), False,
     "before 9:00 Europe/Paris", dt.datetime(2025, 10, 27, 9)),
    ("monday after autumn, 09:00", utc(2025, 10, 27, 8, 0), FR, D(2025, 10, 27), True, "",
     dt.datetime(2025, 10, 28, 9)),
]


@pytest.mark.parametrize(("label", "now", "holidays", "local_date", "is_open", "reason", "next_open"),
                         SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_send_window_scenarios(label, now, holidays, local_date, is_open, reason, next_open):
    w = window(now, holidays)
    assert (w.local_date, w.open, w.reason) == (local_date, is_open, reason)
    assert w.next_open.tzinfo is not None and str(w.next_open.tzinfo) == PARIS
    assert w.next_open.replace(tzinfo=None) == next_open
    assert w.next_open > now
    assert w.local_now == now


def test_send_hour_is_read_on_the_paris_clock_on_both_sides_of_dst():
    before = window(utc(2025, 3, 29, 12, 0)).next_open  # Saturday → Monday 31 March, summer time
    assert before.utcoffset() == dt.timedelta(hours=2)
    assert before.astimezone(dt.UTC) == utc(2025, 3, 31, 7, 0)
    after = window(utc(2025, 10, 25, 12, 0)).next_open  # Saturday → Monday 27 October, winter time
    assert after.utcoffset() == dt.timedelta(hours=1)
    assert after.astimezone(dt.UTC) == utc(2025, 10, 27, 8, 0)


def test_a_send_hour_skipped_by_spring_forward_opens_at_the_next_instant():
    # 02:00 does not exist in Paris on 30 March 2025; with every day open the window opens at 03:00 CEST
    w = send_window(utc(2025, 3, 29, 23, 30), PARIS, 2, False, FR)
    assert w.local_date == D(2025, 3, 30) and not w.open
    assert w.next_open.astimezone(dt.UTC) == utc(2025, 3, 30, 1, 0)
    assert (w.next_open.hour, w.next_open.utcoffset()) == (3, dt.timedelta(hours=2))
    assert send_window(utc(2025, 3, 30, 1, 0), PARIS, 2, False, FR).open


def test_weekends_are_open_without_business_days_only():
    w = window(utc(2025, 6, 7, 10, 0), business_days_only=False)
    assert w.open and w.next_open.replace(tzinfo=None) == dt.datetime(2025, 6, 8, 9)


def test_send_window_refuses_naive_now_bad_hours_and_zones():
    with pytest.raises(ValueError, match="aware"):
        send_window(dt.datetime(2025, 6, 6, 9), PARIS, 9, True, FR)
    with pytest.raises(ValueError, match="send_hour"):
        send_window(utc(2025, 6, 6, 9), PARIS, 24, True, FR)
    with pytest.raises(ValueError, match="time zone"):
        send_window(utc(2025, 6, 6, 9), "Europe/Atlantis", 9, True, FR)


def test_another_zone_and_hour():
    # 14:00 UTC is 10:00 in New York in June (UTC-4)
    w = send_window(utc(2025, 6, 6, 14, 0), "America/New_York", 10, True, {})
    assert (w.local_date, w.open) == (D(2025, 6, 6), True)
    w = send_window(utc(2025, 6, 6, 13, 59), "America/New_York", 10, True, {})
    assert (w.open, w.reason) == (False, "before 10:00 America/New_York")


# ---------------------------------------------------------------- cooldown
