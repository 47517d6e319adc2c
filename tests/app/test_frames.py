"""ui/components.py's frame helpers: what they give is what pandas would."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ui import components


@pytest.mark.parametrize(
    "schedules",
    [
        ["Overdue", "Overdue", "Due soon", "Due soon", "Due soon"],  # next to each other
        ["Due soon", "Overdue", "Due soon", "Overdue", "Overdue"],  # interleaved
        ["Due soon", "Due soon"],  # none of them
        ["Overdue"],
    ],
)
def test_rows_where_is_the_masked_frame(schedules):
    frame = pd.DataFrame(
        {"schedule": schedules, "n": range(len(schedules))}, index=range(7, 7 + len(schedules))
    )
    for value in ("Overdue", "Due soon"):
        masked = frame[frame["schedule"] == value].reset_index(drop=True)
        pd.testing.assert_frame_equal(components.rows_where(frame, "schedule", value), masked)


def test_records_are_to_dict_records():
    frame = pd.DataFrame(
        {
            "text": pd.array(["a", None, "c"], dtype="string"),
            "n": [1, 2, 3],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "share": [0.5, float("nan"), 1.0],
            "flag": [True, False, True],
            "due": [date(2021, 6, 1), None, date(2022, 1, 31)],
            "at": pd.to_datetime(["2021-06-01", None, "2022-01-31"]),
            "words": [["x"], [], None],
        },
        index=[5, 3, 9],
    )
    expected = frame.to_dict("records")
    got = components.records(frame)

    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert list(mine) == list(theirs)
        for key, value in theirs.items():
            assert type(mine[key]) is type(value), key
            assert mine[key] == value or (value != value and mine[key] != mine[key]), key
    assert components.records(frame, ["n", "gone", "text"])[0] == {"n": 1, "text": "a"}
    assert components.records(frame.iloc[0:0]) == []
