"""core/dates.py: from the report's target date as written to a due date and its basis."""

from __future__ import annotations

from datetime import date

import pytest

from core.models import DateBasis, DateFlag, Term
from core.plan.dates import (
    FALLBACK_TERM_MONTHS,
    DatedItem,
    Inference,
    ParsedDate,
    infer_due_dates,
    month_end,
    parse_date_as_written,
)

# --- parse_date_as_written -------------------------------------------------------


@pytest.mark.parametrize(
    ("as_written", "due"),
    [
        ("6/2020", date(2020, 6, 30)),
        ("06/2020", date(2020, 6, 30)),
        ("1/2020", date(2020, 1, 31)),
        ("4/2021", date(2021, 4, 30)),
        ("10/2020", date(2020, 10, 31)),
        ("12/2021", date(2021, 12, 31)),
        ("2/2020", date(2020, 2, 29)),  # leap year
        ("2/2021", date(2021, 2, 28)),
        ("1/2019", date(2019, 1, 31)),  # first year of the plan
        ("12/2022", date(2022, 12, 31)),  # last year of the plan
        ("  6/2020 ", date(2020, 6, 30)),  # surrounding whitespace is ignored
    ],
)
def test_parse_month_year_end_of_month(as_written, due):
    assert parse_date_as_written(as_written) == ParsedDate(due, DateBasis.END_OF_MONTH)


@pytest.mark.parametrize("month", range(1, 13))
def test_parse_month_year_every_month_ends_on_its_last_day(month):
    parsed = parse_date_as_written(f"{month}/2020")
    assert parsed.due_date == month_end(date(2020, month, 1))
    assert parsed.due_date.month == month
    assert (parsed.basis, parsed.flag, parsed.note) == (DateBasis.END_OF_MONTH, None, None)


@pytest.mark.parametrize(
    ("as_written", "due"),
    [
        ("1/31/2020", date(2020, 1, 31)),
        ("3/31/2020", date(2020, 3, 31)),
        ("6/15/2020", date(2020, 6, 15)),
        ("06/05/2021", date(2021, 6, 5)),
        ("2/29/2020", date(2020, 2, 29)),  # leap day exists in 2020
        ("12/31/2022", date(2022, 12, 31)),
    ],
)
def test_parse_full_date_as_written(as_written, due):
    assert parse_date_as_written(as_written) == ParsedDate(due, DateBasis.AS_WRITTEN)


def test_parse_full_date_is_month_first():
    # 1/12/2020 is January 12 (US order), never December 1
    assert parse_date_as_written("1/12/2020").due_date == date(2020, 1, 12)


@pytest.mark.parametrize(
    ("as_written", "due", "shown"),
    [
        ("2/31/2020", date(2020, 2, 29), "2/29/2020"),  # the report's own defect, leap year
        ("2/31/2021", date(2021, 2, 28), "2/28/2021"),
        ("2/30/2020", date(2020, 2, 29), "2/29/2020"),
        ("2/29/2021", date(2021, 2, 28), "2/28/2021"),  # no leap day in 2021
        ("4/31/2020", date(2020, 4, 30), "4/30/2020"),
        ("1/32/2020", date(2020, 1, 31), "1/31/2020"),
    ],
)
def test_parse_impossible_day_corrected_to_month_end(as_written, due, shown):
    assert parse_date_as_written(as_written) == ParsedDate(
        due,
        DateBasis.CORRECTED,
        DateFlag.IMPOSSIBLE_DATE,
        f"{as_written} does not exist; due on the month's last day, {shown}.",
    )


@pytest.mark.parametrize("as_written", ["4/2012", "12/2018", "1/2023", "1/1/2023", "6/30/2012"])
def test_parse_year_outside_plan_likely_typo(as_written):
    assert parse_date_as_written(as_written) == ParsedDate(
        None,
        DateBasis.INFERRED,
        DateFlag.LIKELY_TYPO,
        f"{as_written} falls outside the plan's 2019–2022 span; likely a typo.",
    )


def test_parse_impossible_day_outside_plan_likely_typo():
    # the span check wins over the correction: there is no due date to correct to
    parsed = parse_date_as_written("2/31/2012")
    assert (parsed.due_date, parsed.basis, parsed.flag) == (
        None,
        DateBasis.INFERRED,
        DateFlag.LIKELY_TYPO,
    )


def test_parse_span_follows_plan_years():
    assert parse_date_as_written("4/2012", first_year=2010, last_year=2015) == ParsedDate(
        date(2012, 4, 30), DateBasis.END_OF_MONTH
    )
    assert parse_date_as_written("6/2020", first_year=2010, last_year=2015).flag == (
        DateFlag.LIKELY_TYPO
    )


@pytest.mark.parametrize(
    ("as_written", "due", "basis"),
    [
        ("2/2000", date(2000, 2, 29), DateBasis.END_OF_MONTH),  # divisible by 400: leap
        ("2/1900", date(1900, 2, 28), DateBasis.END_OF_MONTH),  # divisible by 100: not leap
        ("2/2024", date(2024, 2, 29), DateBasis.END_OF_MONTH),
        ("2/29/2000", date(2000, 2, 29), DateBasis.AS_WRITTEN),
        ("2/29/1900", date(1900, 2, 28), DateBasis.CORRECTED),
        ("2/29/2024", date(2024, 2, 29), DateBasis.AS_WRITTEN),
    ],
)
def test_parse_leap_years(as_written, due, basis):
    parsed = parse_date_as_written(as_written, first_year=1900, last_year=2100)
    assert (parsed.due_date, parsed.basis) == (due, basis)


@pytest.mark.parametrize("as_written", ["March/April", "march", "Sept", "May", "December"])
def test_parse_month_without_year_no_year(as_written):
    assert parse_date_as_written(as_written) == ParsedDate(
        None,
        DateBasis.INFERRED,
        DateFlag.NO_YEAR,
        f"“{as_written}” names a month but no year.",
    )


@pytest.mark.parametrize("as_written", [None, "", "   "])
def test_parse_missing_no_date(as_written):
    assert parse_date_as_written(as_written) == ParsedDate(
        None, DateBasis.INFERRED, DateFlag.NO_DATE, "The report gives no date."
    )


@pytest.mark.parametrize(
    "as_written",
    [
        "soon",
        "TBD",
        "2020",
        "6-2020",
        "6/20",
        "1/1/20",
        "6/2020.",
        "(6/2020)",
        "by 6/2020",
        "6 / 2020",
        "Spring 2021",
        "31/1/2020",  # day-first: month 31
    ],
)
def test_parse_garbage_unparseable(as_written):
    assert parse_date_as_written(as_written) == ParsedDate(
        None,
        DateBasis.INFERRED,
        DateFlag.UNPARSEABLE,
        f"“{as_written}” is not a date we can read.",
    )


@pytest.mark.parametrize("as_written", ["13/2020", "0/2020", "00/2020", "13/1/2020", "0/1/2020"])
def test_parse_month_out_of_range_unparseable(as_written):
    parsed = parse_date_as_written(as_written)
    assert (parsed.due_date, parsed.basis, parsed.flag) == (
        None,
        DateBasis.INFERRED,
        DateFlag.UNPARSEABLE,
    )


def test_parse_day_zero_unparseable():
    parsed = parse_date_as_written("1/0/2020")
    assert (parsed.due_date, parsed.flag) == (None, DateFlag.UNPARSEABLE)


@pytest.mark.parametrize("as_written", ["1/1/0000", "2/31/0000", "2/0000"])
def test_parse_year_zero_never_raises(as_written):
    parsed = parse_date_as_written(as_written)
    assert parsed.due_date is None
    assert parsed.flag in (DateFlag.LIKELY_TYPO, DateFlag.UNPARSEABLE)


@pytest.mark.parametrize("as_written", ["Decide later", "Maybe", "Marching orders"])
def test_parse_word_starting_like_month_unparseable(as_written):
    assert parse_date_as_written(as_written).flag is DateFlag.UNPARSEABLE


@pytest.mark.parametrize(
    ("year", "month", "last_day"),
    [(2020, 2, 29), (2021, 2, 28), (2000, 2, 29), (1900, 2, 28), (2020, 4, 30), (2020, 12, 31)],
)
def test_month_end_last_day(year, month, last_day):
    assert month_end(date(year, month, 1)) == date(year, month, last_day)


# --- infer_due_dates ----------------------------------------------------------------

START = date(2019, 7, 1)


def item(key, term, due=None, strategy="lm-a.s1", logic_model="lm-a", start=START):
    return DatedItem(key, strategy, logic_model, Term(term), due, start)


def test_infer_nothing_to_infer_empty():
    assert infer_due_dates([]) == {}
    assert infer_due_dates([item("a", "short", date(2020, 6, 30))]) == {}


def test_infer_rule1_latest_same_term_in_strategy():
    items = [
        item("s1.short.1", "short", date(2020, 6, 30)),
        item("s1.short.2", "short", date(2020, 10, 31)),
        item("s1.short.3", "short"),
        # later dates that must not count: other term, other strategy, other logic model
        item("s1.long.1", "long", date(2022, 6, 30)),
        item("s2.short.1", "short", date(2021, 3, 31), strategy="lm-a.s2"),
        item("b.short.1", "short", date(2021, 6, 30), strategy="lm-b.s1", logic_model="lm-b"),
    ]
    assert infer_due_dates(items) == {
        "s1.short.3": Inference(date(2020, 10, 31), "the latest short term date in its strategy")
    }


def test_infer_rule2_latest_same_term_in_logic_model():
    items = [
        item("s1.short.1", "short", date(2020, 6, 30)),
        item("s2.short.1", "short", date(2020, 9, 30), strategy="lm-a.s2"),
        item("s3.short.1", "short", strategy="lm-a.s3"),
        item("b.short.1", "short", date(2021, 6, 30), strategy="lm-b.s1", logic_model="lm-b"),
    ]
    assert infer_due_dates(items) == {
        "s3.short.1": Inference(date(2020, 9, 30), "the latest short term date in its logic model")
    }


def test_infer_rule3_latest_same_term_in_plan():
    items = [
        item("a.medium.1", "medium", date(2020, 12, 31)),
        item("b.medium.1", "medium", date(2021, 6, 30), strategy="lm-b.s1", logic_model="lm-b"),
        item("c.medium.1", "medium", strategy="lm-c.s1", logic_model="lm-c"),
        item("c.long.1", "long", date(2021, 1, 31), strategy="lm-c.s2", logic_model="lm-c"),
    ]
    assert infer_due_dates(items) == {
        "c.medium.1": Inference(date(2021, 6, 30), "the latest medium term date in the plan")
    }


@pytest.mark.parametrize(
    ("term", "due"),
    [("short", date(2020, 7, 31)), ("medium", date(2021, 1, 31)), ("long", date(2022, 1, 31))],
)
def test_infer_rule4_fallback_after_logic_model_start(term, due):
    months = FALLBACK_TERM_MONTHS[Term(term)]
    items = [item("x.1", term, start=date(2020, 1, 15))]
    assert infer_due_dates(items) == {
        "x.1": Inference(due, f"{months} months after its logic model's start")
    }


def test_infer_rule4_fallback_months():
    assert FALLBACK_TERM_MONTHS == {Term.SHORT: 6, Term.MEDIUM: 12, Term.LONG: 24}


def test_infer_rule4_fallback_clamps_to_leap_month_end():
    # 2019-08-31 + 6 months lands in February 2020: its last day is the 29th
    result = infer_due_dates([item("x.1", "short", start=date(2019, 8, 31))])
    assert result["x.1"].due_date == date(2020, 2, 29)


def test_infer_rule4_fallback_only_when_no_term_date_anywhere():
    # a dated long outcome elsewhere does not stand in for short
    items = [
        item("a.short.1", "short"),
        item("b.long.1", "long", date(2022, 6, 30), strategy="lm-b.s1", logic_model="lm-b"),
    ]
    assert infer_due_dates(items)["a.short.1"] == Inference(
        date(2020, 1, 31), "6 months after its logic model's start"
    )


def test_infer_never_earlier_than_earlier_term_in_strategy():
    items = [
        item("s1.short.1", "short", date(2021, 3, 31)),
        item("s1.medium.1", "medium"),  # rule 2 would say 2020-12-31
        item("s2.medium.1", "medium", date(2020, 12, 31), strategy="lm-a.s2"),
    ]
    assert infer_due_dates(items) == {
        "s1.medium.1": Inference(date(2021, 3, 31), "the latest earlier-term date in its strategy")
    }


def test_infer_earlier_term_floor_ignores_other_strategies():
    items = [
        item("s2.short.1", "short", date(2022, 3, 31), strategy="lm-a.s2"),
        item("s1.medium.1", "medium"),
        item("s3.medium.1", "medium", date(2020, 12, 31), strategy="lm-a.s3"),
    ]
    assert infer_due_dates(items) == {
        "s1.medium.1": Inference(
            date(2020, 12, 31), "the latest medium term date in its logic model"
        )
    }


def test_infer_earlier_term_equal_date_keeps_rule():
    items = [
        item("s1.short.1", "short", date(2020, 12, 31)),
        item("s1.medium.1", "medium"),
        item("s2.medium.1", "medium", date(2020, 12, 31), strategy="lm-a.s2"),
    ]
    assert infer_due_dates(items)["s1.medium.1"] == Inference(
        date(2020, 12, 31), "the latest medium term date in its logic model"
    )


def test_infer_earlier_term_floor_uses_inferred_dates():
    # short is inferred first (rule 3, from another logic model); long in the same
    # strategy must not fall before it, even though its own rule gives an earlier date
    items = [
        item("a.short.1", "short"),
        item("a.long.1", "long"),
        item("b.short.1", "short", date(2022, 9, 30), strategy="lm-b.s1", logic_model="lm-b"),
        item("b.long.1", "long", date(2021, 12, 31), strategy="lm-b.s1", logic_model="lm-b"),
    ]
    assert infer_due_dates(items) == {
        "a.short.1": Inference(date(2022, 9, 30), "the latest short term date in the plan"),
        "a.long.1": Inference(date(2022, 9, 30), "the latest earlier-term date in its strategy"),
    }


def test_infer_keeps_short_medium_long_in_order():
    # nothing dated anywhere, start late in the year: every term falls back and stays ordered
    items = [item(f"s1.{t}.1", t, start=date(2020, 11, 30)) for t in ("long", "medium", "short")]
    result = infer_due_dates(items)
    assert result["s1.short.1"].due_date == date(2021, 5, 31)
    assert result["s1.medium.1"].due_date == date(2021, 11, 30)
    assert result["s1.long.1"].due_date == date(2022, 11, 30)


def test_infer_result_only_for_undated_items():
    items = [
        item("s1.short.1", "short", date(2020, 6, 30)),
        item("s1.short.2", "short"),
        item("s1.medium.1", "medium", date(2020, 12, 31)),
        item("s1.medium.2", "medium"),
        item("s1.long.1", "long"),
    ]
    result = infer_due_dates(items)
    assert set(result) == {"s1.short.2", "s1.medium.2", "s1.long.1"}
    assert result["s1.short.2"].due_date == date(2020, 6, 30)
    assert result["s1.medium.2"].due_date == date(2020, 12, 31)
    # long: no long date anywhere -> fallback 2021-07-31, above the medium floor
    assert result["s1.long.1"] == Inference(
        date(2021, 7, 31), "24 months after its logic model's start"
    )
