"""The plan as loaded: counts and profiles pinned, and cross-checked against the report.

Counts were made by hand from data/ and checked against the report's text export
(../shared/seeds/003_*.txt, named in data/plan.yaml `source`), table by table.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import func, select

from core.config import PROJECT_ROOT
from core.models import AppendixItem, LogicModel, Need, Outcome, Plan, Region, Strategy
from core.plan.files import read_plan
from core.progress.queries import appendix, outcome_rows

DATA_DIR = PROJECT_ROOT / "data"

# logic model -> (short, medium, long) outcomes
OUTCOMES_PER_TERM = {
    "state-housing": (10, 6, 8),
    "state-mental-health": (10, 9, 3),
    "st-louis": (6, 8, 7),
    "metro-east": (9, 11, 12),
    "southeast": (5, 5, 3),
    "southwest": (9, 11, 12),
    "northwest": (8, 8, 11),
    "northeast": (6, 9, 9),
    "kansas-city": (9, 11, 12),
    "central": (6, 7, 8),
}

# logic model -> (position, region, "Region:" cell as written, title as written)
LOGIC_MODELS = {
    "state-housing": (1, "state", "State", "Housing (Shelters, transitional)"),
    "state-mental-health": (2, "state", "State", "Mental Health/Substance Use"),
    "st-louis": (
        3,
        "st-louis",
        "STL, MO",
        "Mental healthcare, legal assistance and adult shelter services",
    ),
    "metro-east": (
        4,
        "metro-east",
        "Metro E. STL",
        "Crisis Services, Mental Health/Substance Use Services, & Shelter/Transitional Housing",
    ),
    "southeast": (
        5,
        "southeast",
        "SE, MO",
        "Adult Shelter, Mental Health, Substance Use Treatment",
    ),
    "southwest": (
        6,
        "southwest",
        "SW, MO",
        "Legal Services, Mental Healthcare, and Minor Shelter",
    ),
    "northwest": (
        7,
        "northwest",
        "NW, MO",
        "Mental Healthcare, Crisis Services, and Legal Services",
    ),
    "northeast": (8, "northeast", "Northeast, MO", "Mental Healthcare"),
    "kansas-city": (
        9,
        "kansas-city",
        "Kansas City, MO",
        "Mental Health, Crisis Services, Legal Assistance",
    ),
    "central": (
        10,
        "central",
        "CEN",
        "Central Region: Mental Health, Transportation, & Adult Shelter",
    ),
}

# strategy -> (need, label as written), in the report's order
STRATEGIES = {
    "state-housing.ht-taskforce": ("housing", None),
    "state-housing.housing-development-commission": ("housing", None),
    "state-housing.workforce-development-board": ("housing", None),
    "state-housing.advocacy-partners": ("housing", None),
    "state-mental-health.coordinated-body": ("mental-health", None),
    "state-mental-health.telehealth": ("mental-health", None),
    "state-mental-health.minimum-standards": ("mental-health", None),
    "st-louis.adult-shelter": ("housing", "Adult Shelter"),
    "st-louis.mental-healthcare": ("mental-health", "Mental Healthcare"),
    "st-louis.legal-services": ("legal-services", "Legal Services"),
    "metro-east.crisis-services": ("crisis-services", "Emergency/Crisis Services"),
    "metro-east.mental-health-sud": ("mental-health", "Mental Health/Substance Use Services"),
    "metro-east.shelter-transitional-housing": ("housing", "Shelter/Transitional Housing"),
    "southeast.adult-shelter": ("housing", "Adult Shelter"),
    "southeast.mh-sud-treatment": ("mental-health", "MH and SUD Treatment"),
    "southwest.legal-services": ("legal-services", "Legal Services"),
    "southwest.mental-healthcare": ("mental-health", "Mental Healthcare"),
    "southwest.minor-shelter": ("minor-shelter", "Minor Shelter"),
    "northwest.mental-health": ("mental-health", "Mental Healthcare"),
    "northwest.crisis-services": ("crisis-services", "Crisis Services"),
    "northwest.legal-services": ("legal-services", "Legal Services"),
    "northeast.housing": ("housing", "Crisis/Transitional Housing"),
    "northeast.mental-health": ("mental-health", "Mental Healthcare"),
    # the report's labels of these two rows are swapped (flag label_mismatch)
    "kansas-city.mental-health": ("mental-health", "Crisis Services"),
    "kansas-city.crisis-services": ("crisis-services", "Mental Healthcare"),
    "kansas-city.legal-services": ("legal-services", "Legal Services"),
    "central.transportation": ("transportation", "Transportation"),
    "central.crisis-shelter": ("housing", "Crisis Shelter"),
    "central.mental-health": ("mental-health", "Mental Healthcare"),
}

# region -> (name, report labels, survivors served, mix, top needs in the report's order)
REGIONS = {
    "state": (
        "State",
        ["State"],
        None,
        None,
        ["mental-health", "housing", "housing", "minor-shelter", "mental-health"],
    ),
    "st-louis": (
        "St. Louis",
        ["STL, MO"],
        57,
        {"sex": 91.0, "labor": 1.8, "both": 7.0},
        ["mental-health", "legal-services", "housing"],
    ),
    "metro-east": (
        "Metro East",
        ["Metro E. STL"],
        None,
        None,
        ["housing", "housing", "mental-health", "crisis-services", "mental-health"],
    ),
    "southeast": (
        "Southeast",
        ["SE, MO"],
        25,
        {"sex": 76.0, "labor": None, "both": 20.0},
        ["housing", "mental-health", "mental-health"],
    ),
    "southwest": (
        "Southwest",
        ["SW, MO"],
        99,
        {"sex": 58.6, "labor": None, "both": 40.4},
        ["legal-services", "mental-health", "minor-shelter"],
    ),
    "northwest": (
        "Northwest",
        ["NW, MO"],
        101,
        {"sex": 97.0, "labor": None, "both": None},
        ["mental-health", "crisis-services", "legal-services"],
    ),
    "northeast": (
        "Northeast",
        ["Northeast, MO"],
        20,
        {"sex": 80.0, "labor": 5.0, "both": 15.0},
        ["housing", "mental-health", "housing"],
    ),
    "kansas-city": (
        "Kansas City",
        ["Kansas City, MO"],
        119,
        {"sex": 93.3, "labor": None, "both": None},
        ["mental-health", "crisis-services", "legal-services"],
    ),
    "central": (
        "Central",
        ["CEN"],
        28,
        {"sex": 93.0, "labor": None, "both": None},
        ["mental-health", "transportation", "housing"],
    ),
}

NEEDS = [
    ("housing", "Housing and shelter"),
    ("minor-shelter", "Shelter for minors"),
    ("mental-health", "Mental health and substance use"),
    ("legal-services", "Legal services"),
    ("crisis-services", "Crisis services"),
    ("transportation", "Transportation"),
]

# outcomes copied whole from one table cell (no page break inside), spot-checked by hand
VERBATIM_OUTCOMES = {
    "state-housing.ht-taskforce.short.1": "Gain commitments from housing and workforce "
    "development groups to strategize pathways to housing and work by 6/2020",
    "state-housing.advocacy-partners.short.2": "Attend legislative and public interest "
    "meetings relevant to short and long term housing (March/April)",
    "st-louis.adult-shelter.long.1": "Incorporate feedback and forward proposed accessible "
    "shelter policies and protocol to area shelters for commitments by 12/2021).",
    "state-mental-health.minimum-standards.long.1": "Evaluate MSC for SUD trafficking "
    "survivors. 6/2022",
    "southeast.adult-shelter.short.n1": "Develop memorandum of understandings between the "
    "shelters about how survivors should be quickly and appropriately housed after exiting "
    "trafficking by 6/2020",
    "northwest.mental-health.short.1": "All resources identify key personnel to participate "
    "in working group by 6/2020.",
    "central.mental-health.long.2": "Continue meetings to minatory and address issues that come up",
    "central.transportation.short.1": "Survey all MH and transportation agencies to see which "
    "can participate in cooperative agreement",
}


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


@pytest.fixture(scope="module")
def source_lines() -> list[str]:
    raw = yaml.safe_load((DATA_DIR / "plan.yaml").read_text(encoding="utf-8"))
    path = (PROJECT_ROOT / raw["source"]).resolve()
    if not path.is_file():
        pytest.skip(f"the report's text export is not here: {path}")
    return path.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def source_text(source_lines) -> str:
    return _normalise("\n".join(source_lines))


@pytest.fixture(scope="module")
def rows(plan_session) -> list[dict]:
    return outcome_rows(plan_session)


# --- counts ----------------------------------------------------------------------------


def test_count_outcomes_total(plan_session, rows):
    assert plan_session.exec(select(func.count(Outcome.id))).one() == 248
    assert len(rows) == 248
    assert sum(sum(terms) for terms in OUTCOMES_PER_TERM.values()) == 248


def test_count_outcomes_per_logic_model_and_term(rows):
    counts = Counter((r["logic_model_id"], r["term"]) for r in rows)
    assert {
        lm: (counts[lm, "short"], counts[lm, "medium"], counts[lm, "long"])
        for lm in {r["logic_model_id"] for r in rows}
    } == OUTCOMES_PER_TERM


def test_count_outcomes_per_term_in_files():
    # the same counts straight from the YAML, without the database
    data = read_plan(DATA_DIR)
    counts = {
        lm.id: tuple(
            sum(1 for st in lm.strategies for o in st.outcomes if o.term == term)
            for term in ("short", "medium", "long")
        )
        for lm in data.logic_models
    }
    assert counts == OUTCOMES_PER_TERM


def test_count_strategies_per_logic_model(plan_session):
    counts = Counter(plan_session.exec(select(Strategy.logic_model_id)).all())
    assert counts == {
        "state-housing": 4,
        "state-mental-health": 3,
        "st-louis": 3,
        "metro-east": 3,
        "southeast": 2,
        "southwest": 3,
        "northwest": 3,
        "northeast": 2,
        "kansas-city": 3,
        "central": 3,
    }


def test_load_strategies_needs_and_labels(plan_session):
    strategies = plan_session.exec(
        select(Strategy)
        .join(LogicModel, LogicModel.id == Strategy.logic_model_id)
        .order_by(LogicModel.position, Strategy.position)
    ).all()
    assert [s.id for s in strategies] == list(STRATEGIES)
    assert {s.id: (s.need_id, s.label) for s in strategies} == STRATEGIES
    for s in strategies:
        assert s.title == (s.label or s.resources[0])
        assert s.logic_model_id == s.id.split(".")[0]
        assert s.resources and s.tasks and s.ultimate_outcome
        assert s.retired is False


def test_load_logic_models(plan_session):
    models = plan_session.exec(select(LogicModel).order_by(LogicModel.position)).all()
    assert {m.id: (m.position, m.region_id, m.report_region_label, m.title) for m in models} == (
        LOGIC_MODELS
    )
    assert [m.id for m in models] == list(LOGIC_MODELS)
    assert {m.start_date for m in models} == {date(2019, 7, 1)}  # the plan's baseline start
    assert not any(m.retired for m in models)


def test_load_outcome_ids_follow_strategy_and_term(rows):
    for r in rows:
        strategy, term, number = r["outcome_id"].rsplit(".", 2)
        assert (strategy, term) == (r["strategy_id"], r["term"])
        if r["number"] is None:
            assert re.fullmatch(r"n\d+", number)
        else:
            assert number == r["number"]
    assert len({r["outcome_id"] for r in rows}) == 248


def test_load_plan_row(plan_session):
    plan = plan_session.get(Plan, 1)
    assert plan.title == "State of Missouri and Metro East Anti-Trafficking Strategic Plan"
    assert plan.authors == "Kathleen M. Preble, PhD, MSW, Andrea J. Nichols, PhD"
    assert (plan.published, plan.baseline_start, plan.first_year, plan.last_year) == (
        2019,
        date(2019, 7, 1),
        2019,
        2022,
    )
    assert plan.timeline_note.startswith("*Note all of the timelines provided")
    assert plan_session.exec(select(func.count(Plan.id))).one() == 1


def test_load_needs(plan_session):
    needs = plan_session.exec(select(Need).order_by(Need.position)).all()
    assert [(n.id, n.label) for n in needs] == NEEDS
    assert [n.position for n in needs] == [1, 2, 3, 4, 5, 6]


def test_load_regions_and_profiles(plan_session):
    regions = plan_session.exec(select(Region).order_by(Region.position)).all()
    assert [r.id for r in regions] == list(REGIONS)
    assert {
        r.id: (
            r.name,
            r.report_labels,
            r.survivors_served,
            r.trafficking_mix,
            [t["need"] for t in r.top_needs],
        )
        for r in regions
    } == REGIONS
    for r in regions:
        assert r.summary
        assert all(t["as_written"] for t in r.top_needs)
        assert (r.trafficking_mix is None) == (r.trafficking_mix_as_written is None)


def test_load_st_louis_profile(plan_session):
    stl = plan_session.get(Region, "st-louis")
    assert stl.survivors_served == 57
    assert stl.trafficking_mix == {"sex": 91, "labor": 1.8, "both": 7}
    assert stl.trafficking_mix_as_written == "91% sex; 1.8% labor; 7% both"
    assert stl.top_needs == [
        {"need": "mental-health", "as_written": "mental health"},
        {"need": "legal-services", "as_written": "legal assistance"},
        {"need": "housing", "as_written": "adult shelter"},
    ]


def test_load_appendix_a(plan_session):
    items = appendix(plan_session)
    assert {k: len(v) for k, v in items.items()} == {
        "future_research": 6,
        "provider_suggestions": 3,
    }
    assert items["future_research"][0].startswith("Explore possibility of establishing")
    assert items["future_research"][-1].startswith("Expand extension ECHO trainings")
    assert items["provider_suggestions"][1] == (
        "Providers urged for regionally unique responses to be vetted and evaluated for "
        "best-practice approaches."
    )
    assert all(text.strip() and text.strip() != "-" for v in items.values() for text in v)
    ids = plan_session.exec(select(AppendixItem.id).order_by(AppendixItem.id)).all()
    assert ids == sorted(
        [f"future_research.{i}" for i in range(1, 7)]
        + [f"provider_suggestions.{i}" for i in range(1, 4)]
    )


def test_load_date_as_written_matches_text(rows):
    # every date token printed in an outcome is its date_as_written, and vice versa
    token = re.compile(r"\b\d{1,2}/(?:\d{1,2}/)?\d{4}\b|March/April")
    for r in rows:
        found = token.findall(r["text"])
        expected = [r["date_as_written"]] if r["date_as_written"] else []
        assert found == expected, r["outcome_id"]


# --- cross-checks against the report --------------------------------------------------


@pytest.mark.parametrize(("outcome_id", "text"), list(VERBATIM_OUTCOMES.items()))
def test_source_spot_check_outcome_verbatim(rows, source_text, outcome_id, text):
    row = next(r for r in rows if r["outcome_id"] == outcome_id)
    assert row["text"] == text
    assert text in source_text


def test_source_every_outcome_text_in_report(rows, source_text):
    """Every outcome's text is in the report word for word: whole, or in two pieces
    where a page break splits the table row."""

    def pieces(text: str) -> list[str] | None:
        words, out = text.split(), []
        while words:
            k = len(words)
            while k and " ".join(words[:k]) not in source_text:
                k -= 1
            if not k:
                return None
            out.append(" ".join(words[:k]))
            words = words[k:]
        return out

    split = {}
    for r in rows:
        if r["text"] in source_text:
            continue
        found = pieces(r["text"])
        assert found is not None and len(found) == 2, (r["outcome_id"], found)
        split[r["outcome_id"]] = found
    assert len(split) == 31  # rows broken by a page break (e.g. St. Louis legal services)
    assert split["st-louis.legal-services.medium.2"] == [
        "Identify 2-3 common legal",
        "issues facing trafficking survivors in the region by 6/2021.",
    ]


def test_source_cut_off_item_as_printed(rows, source_text):
    row = next(r for r in rows if r["outcome_id"] == "state-housing.advocacy-partners.medium.2")
    assert row["text"] == "Execute fund raisers events (1-"
    assert "2. Execute fund raisers events (1- 2.Continue fund raising" in source_text


def _source_tables(lines: list[str]) -> list[tuple[int, int]]:
    starts = [i for i, line in enumerate(lines) if line.startswith("Region:")]
    ends = [i for i, line in enumerate(lines) if line.startswith("***Note")]
    return [(s, min(e for e in ends if e > s)) for s in starts]


def test_source_tables_match_logic_models(source_lines):
    tables = _source_tables(source_lines)
    assert len(tables) == 10
    for (start, _), (lm, (_, _, label, title)) in zip(tables, LOGIC_MODELS.items(), strict=True):
        assert source_lines[start] == f"Region: {label}", lm
        assert title in _normalise(" ".join(source_lines[start - 6 : start])), lm


# Numbered items ("1.", "2)", "1)." ...) in each term column of each table; southeast
# numbers nothing and is counted by hand (5/5/3) above.
EMPTY_NUMBERED_ITEMS = {("state-housing", "medium"): 1}  # "2." with no text


@pytest.mark.parametrize("logic_model", [lm for lm in LOGIC_MODELS if lm != "southeast"])
def test_source_numbered_items_match_outcomes(source_lines, plan_session, logic_model):
    position = LOGIC_MODELS[logic_model][0]
    start, end = _source_tables(source_lines)[position - 1]
    marker = re.compile(r"(?:^|(?<=\s)|(?<=>))[1-9][.)](?!\d)")
    in_report = Counter()
    for line in source_lines[start:end]:
        cells = line.split("\t")
        if len(cells) < 6:
            continue
        for term, column in (("short", 2), ("medium", 3), ("long", 4)):
            in_report[term] += len(marker.findall(re.sub(r"<[^>]+>", " ", cells[column])))
    numbered = Counter(
        term
        for term, number in plan_session.exec(
            select(Outcome.term, Outcome.number)
            .join(Strategy, Strategy.id == Outcome.strategy_id)
            .where(Strategy.logic_model_id == logic_model)
        ).all()
        if number is not None
    )
    for term in ("short", "medium", "long"):
        expected = numbered[term] + EMPTY_NUMBERED_ITEMS.get((logic_model, term), 0)
        assert in_report[term] == expected, (logic_model, term)


def test_source_unnumbered_items_only_where_report_has_none(rows):
    unnumbered = sorted(r["outcome_id"] for r in rows if r["number"] is None)
    southeast = [u for u in unnumbered if u.startswith("southeast.")]
    assert len(southeast) == 13  # the southeast table numbers nothing
    assert [u for u in unnumbered if not u.startswith("southeast.")] == [
        "state-housing.workforce-development-board.long.n1"
    ]


@pytest.mark.parametrize(
    ("region", "survivors"),
    [
        ("st-louis", "among its 57 identified survivors"),
        ("southeast", "served 25 survivors of trafficking"),
        ("southwest", "reported 99 survivors of trafficking"),
        ("northwest", "survivors identified (n=101; 20% of total)"),
        ("northeast", "reported 20 survivors for this region"),
        ("kansas-city", "reported 119 survivors of trafficking"),
        ("central", "a total of 28 survivors identified"),
    ],
)
def test_source_region_profile_in_report(plan_session, source_text, region, survivors):
    profile = plan_session.get(Region, region)
    assert str(profile.survivors_served) in survivors
    assert survivors in source_text
    assert profile.trafficking_mix_as_written in source_text


def test_source_appendix_a_verbatim(plan_session, source_text):
    texts = [t for items in appendix(plan_session).values() for t in items]
    assert len(texts) == 9
    for text in texts:
        assert text in source_text


def test_source_path_named_in_plan_yaml():
    raw = yaml.safe_load((DATA_DIR / "plan.yaml").read_text(encoding="utf-8"))
    assert Path(raw["source"]).name == "003_d92ca539363ee07d.txt"
