"""data/measures.yaml is the report's, not invented: every measure's words are its
outcome's (or its region profile's), ranges and minimums are the ones written, a
measure without a number says so, and every outcome whose text carries a number has
a measure or a reason it has none."""

from __future__ import annotations

import re

import pytest
import yaml

from core.config import PROJECT_ROOT
from core.models import TargetKind
from core.plan.files import MeasuresFile, read_plan

DATA_DIR = PROJECT_ROOT / "data"
# A digit, a number word, a frequency or an increase: what makes an outcome numeric.
NUMERIC = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|dozen|half|once|twice|"
    r"single|daily|weekly|monthly|quarterly|annually|annual|yearly|biannual|percent|"
    r"at least|at most|increase|decrease|reduce|double)\b",
    re.IGNORECASE,
)
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def squeeze(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def plan():
    return read_plan(DATA_DIR)


@pytest.fixture(scope="module")
def measures_file() -> MeasuresFile:
    raw = yaml.safe_load((DATA_DIR / "measures.yaml").read_text(encoding="utf-8"))
    return MeasuresFile.model_validate(raw)


@pytest.fixture(scope="module")
def outcomes(plan) -> dict:
    return {o.id: o for lm in plan.logic_models for s in lm.strategies for o in s.outcomes}


def numeric_words(outcome) -> str:
    """The outcome's text without its target date, which is no target to measure."""
    text = squeeze(outcome.text)
    return text.replace(outcome.date_as_written, " ") if outcome.date_as_written else text


def test_measures_loaded_as_written(plan, measures_file):
    assert [m.id for m in plan.measures] == [m.id for m in measures_file.measures]
    assert len(plan.measures) == 21


def test_measure_words_verbatim_in_their_outcome(plan, outcomes):
    for m in plan.measures:
        if m.outcome is None:
            continue
        assert m.as_written in squeeze(outcomes[m.outcome].text), m.id
        assert m.id.startswith(f"{m.outcome}."), m.id


def test_every_numeric_outcome_measured_or_excused(plan, outcomes, measures_file):
    measured = {m.outcome for m in plan.measures if m.outcome}
    excused = {n.outcome: n.reason for n in measures_file.not_measured}
    numeric = {oid for oid, o in outcomes.items() if NUMERIC.search(numeric_words(o))}
    assert not measured & set(excused), "an outcome is both measured and excused"
    assert numeric - measured - set(excused) == set(), "numeric outcomes with no measure"
    assert set(excused) <= numeric, "excused outcomes that carry no number"
    assert set(excused) <= set(outcomes)
    assert all(len(reason) > 20 for reason in excused.values())
    assert (len(numeric), len(measured), len(excused)) == (33, 14, 19)


def bounds_written(words: str) -> tuple[TargetKind, float | None, float | None] | None:
    """The target the words spell, or None when they spell none."""
    if found := re.search(r"\b(\d+)-(\d+)\b", words):
        return TargetKind.RANGE, float(found[1]), float(found[2])
    if found := re.search(r"\bat least (\d+|one|two|three|four|five)\b", words):
        n = WORDS.get(found[1]) or int(found[1])
        return TargetKind.AT_LEAST, float(n), None
    if re.search(r"\bmonthly\b", words, re.IGNORECASE):
        return TargetKind.AT_LEAST, 1.0, None  # at least once in each month
    return None


def test_ranges_and_minimums_exactly_as_written(plan):
    for m in plan.measures:
        if m.outcome is None:
            continue
        written = bounds_written(m.as_written)
        target = (m.target.kind, m.target.min, m.target.max)
        if written is None:
            assert m.target.kind == TargetKind.NONE, m.id
        else:
            assert target == written, m.id
        if "monthly" in m.as_written.lower():
            assert m.unit.endswith("a month"), m.id


def test_a_measure_without_a_number_says_so(plan):
    without = [m for m in plan.measures if m.target.kind == TargetKind.NONE]
    assert len(without) == 10  # 3 pro bono increases, 7 region baselines
    for m in without:
        assert m.target.min is None and m.target.max is None
        assert "no number" in m.note or "no target" in m.note, m.id


def test_region_profiles_are_baselines(plan):
    served = {r.id: r.profile.survivors_served for r in plan.plan.regions}
    by_region = {m.region: m for m in plan.measures if m.region}
    assert set(by_region) == {rid for rid, n in served.items() if n is not None}
    for region_id, m in by_region.items():
        assert m.baseline is not None and m.baseline.value == served[region_id], region_id
        assert re.search(rf"\b{served[region_id]}\b", m.as_written), region_id
    assert by_region["kansas-city"].baseline.value == 119
    assert by_region["st-louis"].baseline.value == 57


def test_region_words_verbatim_in_the_report(plan):
    raw = yaml.safe_load((DATA_DIR / "plan.yaml").read_text(encoding="utf-8"))
    path = (PROJECT_ROOT / raw["source"]).resolve()
    if not path.is_file():
        pytest.skip(f"the report's text export is not here: {path}")
    report = squeeze(path.read_text(encoding="utf-8"))
    for m in plan.measures:
        if m.region:
            assert m.as_written in report, m.id
