"""Vega-Lite specs written as plain dicts, and the few helpers the builders share.

A chart is data: a dict in Vega-Lite's own terms. Building the same spec with Altair's
objects cost most of a page's run (issue 15's profiles: object construction, deep
copies, schema hashing and validation on every rerun, 60–80 % of the Overview), so
the builders in core/charts write the dict directly, and Vega-Lite's schema still
checks every one of them: `Spec.to_dict()` validates against the schema Altair ships,
and every builder's tests call it.

A spec's frames sit under "datasets" as DataFrames, by name (or, for a small frame a
builder writes row by row, an Arrow table: `table`, no pandas); the spec and its layers
refer to them as {"name": ...}. Streamlit sends each frame to the browser as Arrow
(`st.vega_lite_chart`), so nothing is turned into JSON rows on a page run;
`to_dict()` writes them as rows (dates as ISO text, as Altair would) for the tests,
the printed report's SVGs and anything else that needs plain JSON.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias

import pandas as pd
import pyarrow as pa

TYPES = {"N": "nominal", "O": "ordinal", "Q": "quantitative", "T": "temporal"}


# A frame a spec draws: a DataFrame, or an Arrow table (Streamlit sends either as Arrow).
Frame: TypeAlias = pd.DataFrame | pa.Table


def table(columns: dict[str, list[Any]]) -> pa.Table:
    """A small frame from Python lists, as an Arrow table: a DataFrame of a few rows
    costs more to build and convert than the chart it feeds (a page draws 25 of the
    measures' charts). Dates should be datetimes (Arrow's date type is not a time)."""
    return pa.table(columns)


# A frame's columns as Python lists, by name (what `table` takes).
Columns: TypeAlias = dict[str, list[Any]]


def columns(frame: pd.DataFrame, names: list[str]) -> Columns:
    """These columns of a frame as Python lists, a missing value (NaN, NA, NaT) as None
    and a missing column as all None: what a builder writing its frame row by row
    reads its input with."""
    out: Columns = {}
    for name in names:
        if name not in frame.columns:
            out[name] = [None] * len(frame)
            continue
        column = frame[name]  # once: each lookup builds a Series
        values = column.tolist()
        if column.hasnans:
            values = [None if pd.isna(v) else v for v in values]
        out[name] = values
    return out


class Spec(dict[str, Any]):
    """A top-level Vega-Lite spec, its frames by name under "datasets"."""

    @property
    def description(self) -> str:
        text = self.get("description")
        return text if isinstance(text, str) else ""

    @property
    def frames(self) -> dict[str, Frame]:
        return self.get("datasets", {})

    def _frame(self, view: dict[str, Any] | None) -> Frame | None:
        data = (view or {}).get("data") or self.get("data") or {}
        frame = self.frames.get(data.get("name", ""))
        return frame if isinstance(frame, pd.DataFrame | pa.Table) else None

    def frame(self, view: dict[str, Any] | None = None) -> pd.DataFrame | None:
        """The frame a view (a layer, or the spec itself) draws: its own data, else
        the spec's (an Arrow table as a DataFrame)."""
        frame = self._frame(view)
        return frame.to_pandas() if isinstance(frame, pa.Table) else frame

    def column(self, view: dict[str, Any] | None, field: str) -> list[Any] | None:
        """The values of one column of the frame a view draws (None: no such frame or
        column), without making a DataFrame of an Arrow table."""
        frame = self._frame(view)
        if frame is None:
            return None
        if isinstance(frame, pa.Table):
            return frame.column(field).to_pylist() if field in frame.column_names else None
        return frame[field].tolist() if field in frame.columns else None

    def shape(self, view: dict[str, Any] | None = None) -> tuple[list[str], int] | None:
        """The columns and the number of rows of the frame a view draws, without
        making a DataFrame of an Arrow table."""
        frame = self._frame(view)
        if frame is None:
            return None
        if isinstance(frame, pa.Table):
            return frame.column_names, frame.num_rows
        return list(frame.columns), len(frame)

    def views(self) -> list[dict[str, Any]]:
        """The views that carry marks: the layers (of a facet's inner spec too), or
        the spec itself."""
        inner = self.get("spec", self)
        return list(inner.get("layer") or [inner])

    def to_dict(self, *, validate: bool = True) -> dict[str, Any]:
        """The spec as plain JSON (frames as rows), checked against Vega-Lite's schema
        unless `validate` is False. Raises ValueError naming what is wrong."""
        from altair.utils.data import to_values
        from altair.vegalite.v6.schema import SCHEMA_URL

        out = {"$schema": SCHEMA_URL, **self}
        if self.frames:
            out["datasets"] = {
                name: _rows(to_values(df.to_pandas() if isinstance(df, pa.Table) else df))
                for name, df in self.frames.items()
            }
        try:
            out = json.loads(json.dumps(out, allow_nan=False))
        except (TypeError, ValueError) as exc:  # numpy scalars, NaN: not JSON
            raise ValueError(f"not a JSON spec: {exc}") from exc
        if validate:
            check(out)
        return out


# Altair's sanitising leaves NaN where an object column mixes text and None (pandas 3
# infers a text dtype); the browser, sent Arrow, sees null there.
def _rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {k: None if isinstance(v, float) and v != v else v for k, v in row.items()}
        for row in values["values"]
    ]


def check(spec: dict[str, Any]) -> None:
    """Raise ValueError unless `spec` (plain JSON) is valid Vega-Lite."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    error = validate_jsonschema(spec, load_schema(), raise_error=False)
    if error is not None:
        raise ValueError(f"not valid Vega-Lite: {error.message} at {list(error.absolute_path)}")


def channel(shorthand: str, **props: Any) -> dict[str, Any]:
    """An encoding channel from Altair-style shorthand: channel("status:N", title="Status")
    is {"field": "status", "type": "nominal", "title": "Status"}; "sum(count):Q" adds
    the aggregate. None is Vega-Lite's null ("none": legend=None hides the legend)."""
    name, _, kind = shorthand.rpartition(":")
    if not name or kind not in TYPES:
        raise ValueError(f"shorthand needs a field and a type (N, O, Q or T): {shorthand!r}")
    spec: dict[str, Any] = {}
    if name.endswith(")") and "(" in name:
        spec["aggregate"], _, name = name[:-1].partition("(")
    spec |= {"field": name, "type": TYPES[kind]}
    return spec | props


def tooltip(*items: tuple[str, str] | tuple[str, str, str]) -> list[dict[str, Any]]:
    """Tooltip channels from (shorthand, title) or (shorthand, title, format)."""
    return [
        channel(item[0], title=item[1], **({"format": item[2]} if len(item) > 2 else {}))
        for item in items
    ]


def mark(kind: str, **props: Any) -> dict[str, Any]:
    return {"type": kind, **props}


def when(test: str, then: Any, otherwise: Any) -> dict[str, Any]:
    """A value channel chosen by a Vega expression: `then` where it holds."""
    return {"condition": {"test": test, "value": then}, "value": otherwise}


def layers(frame: Frame, *views: dict[str, Any], name: str = "table", **props: Any) -> Spec:
    """Layers drawing one frame (each view a mark and its encoding)."""
    return Spec(datasets={name: frame}, data={"name": name}, layer=list(views), **props)


def described(spec: Spec, text: str) -> Spec:
    """The chart named by `text` (its accessible name, where Vega would say "Vega
    visualization"), its marks out of the accessibility tree: the sentence and the
    page's "Show as table" tell what they show. In place; returns the spec."""
    spec["description"] = text
    config = spec.setdefault("config", {})
    config["mark"] = {**config.get("mark", {}), "aria": False}
    return spec
