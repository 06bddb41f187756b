"""Promise (issue #18): a date column is read day first or month first as its own data says — a value
over 12 in the first place settles day/month/year, in the second place month/day/year, both in one
file refuse it — and a file whose dates cannot tell is never read in an assumed order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from testigo.surveys import dateorder, mapping

pytestmark = pytest.mark.usefixtures("english")


def rows(*values: str) -> list[tuple[int, list[str]]]:
    return [(number, ["x", value]) for number, value in enumerate(values, start=2)]


COLUMNS = {1: "Fecha"}


def test_a_first_part_over_12_settles_day_first():
    reading = dateorder.examine(rows("03/04/2010", "", "25/04/2010 10:00", "05/06/2010"), COLUMNS)
    assert reading.order == "dmy" and reading.evidence == dateorder.Example(4, "Fecha", "25/04/2010 10:00")
    assert not reading.needs_choice


def test_a_second_part_over_12_settles_month_first():
    reading = dateorder.examine(rows("03/04/2010", "04/25/2010 10:00 PM", "05/06/2010"), COLUMNS)
    assert reading.order == "mdy" and reading.evidence.row == 3


def test_every_value_readable_both_ways_is_undecided_with_three_examples():
    reading = dateorder.examine(rows("03/04/2010", "03/04/2010", "05/05/2010", "01/02/2010", "07/08/2010",
                                     "09/10/2010"), COLUMNS)
    assert reading.order is None and reading.needs_choice
    # Distinct values, 05/05 left out: it is the same date either way.
    assert [(e.row, e.value) for e in reading.ambiguous] == [(2, "03/04/2010"), (5, "01/02/2010"),
                                                             (6, "07/08/2010")]
    assert reading.ambiguous[0].both_ways() == (datetime(2010, 4, 3), datetime(2010, 3, 4))


def test_dates_that_are_the_same_both_ways_need_no_choice():
    assert not dateorder.examine(rows("05/05/2010", "01/01/2011"), COLUMNS).needs_choice


def test_both_orders_in_one_file_are_inconsistent_naming_both_rows():
    reading = dateorder.examine(rows("03/04/2010", "25/04/2010", "01/01/2010", "04/26/2010"), COLUMNS)
    day, month = reading.conflict
    assert (day.row, day.value, month.row, month.value) == (3, "25/04/2010", 5, "04/26/2010")
    with pytest.raises(dateorder.Inconsistent, match="row 3 has “25/04/2010”.*row 5 has “04/26/2010”"):
        raise dateorder.Inconsistent(reading)


def test_iso_dates_need_no_decision():
    reading = dateorder.examine(rows("2010-04-03", "2010-04-03 10:00:00", "2010-04-03T10:00:00Z"), COLUMNS)
    assert reading.order is None and not reading.ambiguous and not reading.needs_choice


@pytest.mark.parametrize("text, order, expected", [
    ("25/04/2010", "dmy", datetime(2010, 4, 25)),
    ("25-04-2010", None, datetime(2010, 4, 25)),
    ("25.4.2010", "dmy", datetime(2010, 4, 25)),
    ("03/04/10", "dmy", datetime(2010, 4, 3)),
    ("03/04/10", "mdy", datetime(2010, 3, 4)),
    ("03/04/99", "dmy", datetime(1999, 4, 3)),
    ("04/25/2010 5:07 PM", None, datetime(2010, 4, 25, 17, 7)),
    ("04/25/2010 12:07 am", None, datetime(2010, 4, 25, 0, 7)),
    ("03/04/2010 17:26:09", "mdy", datetime(2010, 3, 4, 17, 26, 9)),
    ("03/04/2010 5:26:09 p.m.", "dmy", datetime(2010, 4, 3, 17, 26, 9)),
])
def test_separators_two_digit_years_and_times(text, order, expected):
    assert dateorder.read(text, order) == expected


def test_a_value_with_a_zone_keeps_it():
    assert dateorder.read("25/04/2010 10:00 Z", None) == datetime(2010, 4, 25, 10, tzinfo=UTC)
    moment = dateorder.read("25/04/2010 10:00 -05:00", None)
    assert moment.utcoffset() == timedelta(hours=-5)


def test_a_row_contradicting_the_decided_order_is_a_row_error():
    assert mapping.parse_datetime("25/04/2010", mapping.DATE_FORMATS, "dmy").month == 4
    with pytest.raises(mapping.RowError, match="13/25/2010"):
        mapping.parse_datetime("13/25/2010", mapping.DATE_FORMATS, "dmy")
    with pytest.raises(mapping.RowError, match="25/04/2010"):
        mapping.parse_datetime("25/04/2010", mapping.DATE_FORMATS, "mdy")


def test_the_decided_order_reads_every_ambiguous_row():
    day_first = mapping.parse_datetime("03/04/2010 17:26", mapping.DATE_FORMATS, "dmy")
    month_first = mapping.parse_datetime("03/04/2010 17:26", mapping.DATE_FORMATS, "mdy")
    assert (day_first.day, day_first.month) == (3, 4) and (month_first.day, month_first.month) == (4, 3)


@pytest.mark.parametrize("text", ["13/14/2010", "00/05/2010", "31/31/2026"])
def test_a_date_in_neither_order_is_a_plain_row_error(text):
    with pytest.raises(mapping.RowError, match="is not a date this import understands"):
        mapping.parse_datetime(text, mapping.DATE_FORMATS)


def test_without_a_decided_order_an_ambiguous_date_is_refused_never_guessed():
    with pytest.raises(mapping.RowError, match="03/04/2010.*choose the order"):
        mapping.parse_datetime("03/04/2010", mapping.DATE_FORMATS)
    assert mapping.parse_datetime("25/04/2010", mapping.DATE_FORMATS).month == 4  # one reading only


def test_a_value_offset_beats_the_column_zone():
    moment = mapping.parse_datetime("2010-04-03T10:00:00+02:00", mapping.DATE_FORMATS, None, UTC)
    assert moment.utcoffset() == timedelta(hours=2)
    assert mapping.parse_datetime("2010-04-03 10:00", mapping.DATE_FORMATS, None, UTC).tzinfo == UTC


def test_scanning_100k_rows_is_fast():
    import time

    many = [(n, ["x", f"{n % 12 + 1:02d}/{n % 12 + 1:02d}/2010 10:{n % 60:02d}"]) for n in range(100_000)]
    many.append((100_001, ["x", "30/01/2010"]))
    started = time.perf_counter()
    reading = dateorder.examine(many, COLUMNS)
    assert reading.order == "dmy" and time.perf_counter() - started < 1.0
