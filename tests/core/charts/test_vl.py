"""The plain-dict Vega-Lite specs (core/charts/vl.py): shorthand, JSON form, schema check."""

import numpy as np
import pandas as pd
import pytest

from core.charts import describe, vl


def test_shorthand_gives_field_type_and_aggregate():
    assert vl.channel("status:N", title="Status") == {
        "field": "status",
        "type": "nominal",
        "title": "Status",
    }
    assert vl.channel("sum(count):Q") == {
        "aggregate": "sum",
        "field": "count",
        "type": "quantitative",
    }
    assert vl.channel("month:T", legend=None)["legend"] is None  # JSON null: no legend


@pytest.mark.parametrize("shorthand", ["status", "status:X", ":N"])
def test_shorthand_without_a_field_or_type_is_refused(shorthand):
    with pytest.raises(ValueError, match="shorthand"):
        vl.channel(shorthand)


def test_to_dict_writes_frames_as_rows_and_checks_the_schema():
    frame = pd.DataFrame({"day": pd.to_datetime(["2020-06-30"]), "n": [3], "who": [None]})
    spec = vl.layers(frame, {"mark": vl.mark("bar"), "encoding": {"x": vl.channel("n:Q")}})

    out = spec.to_dict()

    assert out["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert out["datasets"]["table"] == [{"day": "2020-06-30T00:00:00", "n": 3, "who": None}]
    assert isinstance(spec.frames["table"], pd.DataFrame)  # the spec itself is unchanged


def test_to_dict_refuses_what_is_not_json_or_not_vega_lite():
    numpy_value = vl.Spec(mark="bar", height=np.int64(3))
    with pytest.raises(ValueError, match="not a JSON spec"):
        numpy_value.to_dict()
    with pytest.raises(ValueError, match="not valid Vega-Lite"):
        vl.Spec(mark="no-such-mark").to_dict()


def test_the_tooltip_table_reads_the_first_view_with_rows():
    empty, rows = pd.DataFrame({"a": []}), pd.DataFrame({"a": [1], "b": ["x"]})
    spec = vl.Spec(
        datasets={"empty": empty, "rows": rows},
        layer=[
            {
                "data": {"name": "empty"},
                "mark": "bar",
                "encoding": {"tooltip": vl.tooltip(("a:Q", "A"))},
            },
            {
                "data": {"name": "rows"},
                "mark": "bar",
                "encoding": {"tooltip": vl.tooltip(("b:N", "B"))},
            },
        ],
    )

    assert describe.has_tooltip_table(spec)
    assert describe.tooltip_table(spec).to_dict("records") == [{"B": "x"}]
    assert not describe.has_tooltip_table(
        vl.Spec(datasets={"empty": empty}, layer=[spec["layer"][0]])
    )


def test_a_column_is_read_from_an_arrow_table_or_a_frame():
    """What ui/components.fit_rows counts rows with: no DataFrame made of an Arrow table."""
    spec = vl.Spec(datasets={"a": vl.table({"x": ["p", None, "q"]}), "b": pd.DataFrame({"x": [3]})})
    assert spec.column({"data": {"name": "a"}}, "x") == ["p", None, "q"]
    assert spec.column({"data": {"name": "b"}}, "x") == [3]
    assert spec.column({"data": {"name": "a"}}, "y") is None
    assert spec.column({"data": {"name": "c"}}, "x") is None
