"""Filters shared by every page and kept in the URL (`st.query_params`), so a link
such as ?region=southwest&need=mental-health&schedule=overdue opens exactly that
view and survives a reload. ?org=<id> narrows every view to the strategies naming
that organisation."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st
from sqlmodel import Session

from core.models import DateBasis, Status, Term
from core.partners import queries as partners
from core.progress.filters import (
    SEARCH_MAX_CHARS,
    OutcomeFilter,
    bounded_search,
    search_shortened_message,
)
from core.progress.filters import describe as describe_filter
from core.progress.my_work import LeadScope, scope_region_ids
from core.progress.schedule import DEFAULT_SOON_DAYS, Schedule
from ui import auth, components, data
from ui.text import md

SOON_CHOICES = (30, 60, 90, 180)


def slug(value: str) -> str:
    return value.lower().replace(" ", "-")


@dataclass(frozen=True)
class FilterSpec:
    """One filter: its URL key, its widget label and its help text."""

    key: str
    label: str
    help: str


SPECS = {
    "region": FilterSpec("region", "Region", "Outcomes of these regions' logic models."),
    "need": FilterSpec("need", "Need", "Outcomes of strategies addressing these needs."),
    "org": FilterSpec(
        "org",
        "Organisation",
        "Outcomes of strategies whose resources name these organisations (type to search).",
    ),
    "term": FilterSpec("term", "Term", "Short-, medium- or long-term outcomes."),
    "status": FilterSpec("status", "Status", "What workgroup leads last recorded."),
    "schedule": FilterSpec(
        "schedule", "Schedule", "Computed from the due date and today; closed = done or dropped."
    ),
    "basis": FilterSpec(
        "basis", "Date basis", "How the due date was read from the report (see 'How to read this')."
    ),
}


def options() -> dict[str, dict[str, str]]:
    ref = data.reference()
    return {
        "region": {r["id"]: r["name"] for r in ref["regions"]},
        "need": {n["id"]: n["label"] for n in ref["needs"]},
        "org": organisation_names(),
        "term": {t.value: t.label for t in Term},
        "status": {slug(s.value): s.value for s in Status},
        "schedule": {slug(s.value): s.value for s in Schedule},
        "basis": {slug(b.value): b.value for b in DateBasis},
    }


# Keyed on the plan stamp (an organisation's change moves it): a status save does not
# read the organisations again.
@data.shared(ttl=3600, max_entries=16)
def _organisation_names(plan_stamp_: tuple) -> dict[str, str]:
    with Session(data.engine()) as session:
        orgs = partners.organisations(session)
    rows = orgs[["organisation_id", "organisation", "retired"]].itertuples(index=False)
    return {str(i): str(name) + (" (retired)" if retired else "") for i, name, retired in rows}


def organisation_names() -> dict[str, str]:
    """Organisation id → the name a picker shows, merged ones left out."""
    return _organisation_names(data.plan_stamp())


@data.shared(ttl=3600, max_entries=16)
def _survivors(plan_stamp_: tuple) -> dict[str, str]:
    with Session(data.engine()) as session:
        return partners.survivors(session)


def survivor(organisation_id: str) -> str:
    """The organisation a (perhaps merged) id counts as now: a shared link made before
    a merge still opens the organisation it was merged into."""
    return _survivors(data.plan_stamp()).get(organisation_id, organisation_id)


@data.shared(ttl=60, max_entries=64)  # an id or None: shared as it is
def _my_organisation(stamp_: tuple, user_id: int) -> str | None:
    with Session(data.engine()) as session:
        return partners.user_organisation(session, user_id)


def my_organisation() -> str | None:
    """The signed-in member's organisation (a merged one's survivor), or None."""
    me = auth.actor()
    return None if me.user_id is None else _my_organisation(data.stamp(), me.user_id)


def choose_organisation(organisation_id: str | None) -> None:
    """Make the organisation filter just `organisation_id` (None: every organisation).
    Call from a widget callback (before the filter widgets are drawn)."""
    st.session_state["f_org"] = [] if organisation_id is None else [organisation_id]


def _my_organisation_button(opts: dict[str, str]) -> None:
    """One click sets the organisation filter to the member's own organisation."""
    mine = my_organisation()
    if mine is None or mine not in opts:
        return
    if st.session_state.get("f_org") == [mine]:
        st.caption(f"Showing your organisation's work: {md(opts[mine])}.")
        return
    st.button(
        "My organisation's work",
        on_click=choose_organisation,
        args=(mine,),
        icon=":material/corporate_fare:",
        help=f"Narrow every page to the strategies naming {md(opts[mine])}.",
    )


def _from_url(key: str, allowed: dict[str, str]) -> list[str]:
    return [v for v in st.query_params.get_all(key) if v in allowed]


def init_state() -> None:
    """On a session's first run, take the filters from the URL."""
    if st.session_state.get("_filters_ready"):
        return
    opts = options()
    # a link made before a merge names the merged organisation: read it as its survivor
    merged = {
        o: opts["org"][survivor(o)]
        for o in st.query_params.get_all("org")
        if survivor(o) in opts["org"]
    }
    opts = {**opts, "org": {**merged, **opts["org"]}}
    for key in SPECS:
        st.session_state[f"f_{key}"] = _from_url(key, opts[key])
    # A link may hold any search; the box shows (and the URL keeps) what is searched.
    url_q = st.query_params.get("q", "")
    st.session_state["f_q"] = bounded_search(url_q)[0]
    st.session_state["_f_q_from_url"] = url_q
    st.session_state["f_flagged"] = st.query_params.get("flagged") == "1"
    soon = st.query_params.get("soon", str(DEFAULT_SOON_DAYS))
    st.session_state["f_soon"] = (
        int(soon) if soon.isdigit() and int(soon) in SOON_CHOICES else DEFAULT_SOON_DAYS
    )
    st.session_state["_filters_ready"] = True


def sync_url() -> None:
    """Write the current filters to the URL (only what is set, to keep links short)."""
    wanted: dict[str, str | list[str]] = {}
    for key in SPECS:
        if values := st.session_state.get(f"f_{key}"):
            wanted[key] = list(values)
    if q := st.session_state.get("f_q", "").strip():
        wanted["q"] = q
    if st.session_state.get("f_flagged"):
        wanted["flagged"] = "1"
    if (soon := st.session_state.get("f_soon", DEFAULT_SOON_DAYS)) != DEFAULT_SOON_DAYS:
        wanted["soon"] = str(soon)
    owned = {*SPECS, "q", "flagged", "soon"}
    current = {
        k: (st.query_params.get_all(k) if k in SPECS else st.query_params.get(k))
        for k in st.query_params
        if k in owned
    }
    if current != wanted:
        # A page's own parameters (e.g. the plan editor's `tab`) are kept.
        kept: dict[str, str | list[str]] = {
            k: st.query_params.get(k, "") for k in st.query_params if k not in owned
        }
        st.query_params.from_dict(kept | wanted)


def sidebar() -> None:
    """The filter widgets, in the sidebar of every page."""
    st.session_state.update(st.session_state.pop(_CARRIED, {}))
    init_state()
    start_on_scope()
    opts = options()
    # An organisation merged since it was chosen stands for the one it was merged into;
    # one removed since is no longer an option.
    chosen = dict.fromkeys(survivor(o) for o in st.session_state.get("f_org", []))
    st.session_state["f_org"] = [o for o in chosen if o in opts["org"]]
    with st.sidebar:
        st.subheader(
            "Filters",
            help="Shared by every page and kept in the link: copy the "
            "address bar to share exactly this view.",
        )
        for key, spec in SPECS.items():
            st.multiselect(
                spec.label,
                list(opts[key]),
                format_func=opts[key].__getitem__,
                key=f"f_{key}",
                help=spec.help,
                placeholder="All",
            )
            if key == "org":
                _my_organisation_button(opts["org"])
        st.text_input(
            "Search text",
            key="f_q",
            placeholder="e.g. telehealth",
            help="Words found in an outcome, its strategy or ultimate outcome.",
            max_chars=SEARCH_MAX_CHARS,
        )
        if notice := _search_notice():
            st.warning(notice, icon=":material/search_off:")
        st.toggle(
            "Only items the report flags",
            key="f_flagged",
            help="Impossible or missing dates, numbering gaps, cut-off sentences…",
        )
        if active():
            st.button("Clear filters", on_click=clear, icon=":material/filter_alt_off:")
    sync_url()
    share_link()


def share_link() -> None:
    """This view's address (page and filters), in a code block: Streamlit has no
    clipboard call, and a code block has a copy button."""
    # Drawn only while open (on every page, and new at each filter change otherwise).
    with st.sidebar:
        box = components.lazy_expander("Copy link", key="share_link", icon=":material/link:")
    if box is None:
        return
    pairs = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    query = urlencode(pairs)
    address = (st.context.url or "") + (f"?{query}" if query else "")
    with box:
        st.caption("The address of exactly this view: copy it with the button beside it.")
        st.code(address or "(this page, no filters)", language=None, wrap_lines=True)


def first_region(allowed: dict[str, dict]) -> str:
    """The region a one-region view shows: the sidebar filter's (its first when
    several, so ?region= in the link decides), else the first region."""
    chosen = [r for r in st.session_state.get("f_region") or [] if r in allowed]
    return chosen[0] if chosen else next(iter(allowed))


def choose_region(region_id: str) -> None:
    """Make `region_id` the first region of the sidebar filter (and so of the link):
    moved to the front if it is in the filter, else the filter becomes just it. Call
    from a widget callback (before the filter widgets are drawn)."""
    chosen = list(st.session_state.get("f_region") or [])
    rest = [r for r in chosen if r != region_id] if region_id in chosen else []
    st.session_state["f_region"] = [region_id, *rest]


# The lead whose scope the filters were set to in this session (once per sign-in).
_SCOPED = "_filters_scoped_for"
# The filters kept through a page switch the app makes (ui/shell.py, at sign-in).
_CARRIED = "_filters_carried"


def carry_over() -> None:
    """Keep the filters through `st.switch_page`, which resets every widget's state
    (the browser does not send the sidebar's values with it); `sidebar` restores them."""
    keys = [f"f_{key}" for key in SPECS] + ["f_q", "f_flagged", "f_soon"]
    st.session_state[_CARRIED] = {k: st.session_state[k] for k in keys if k in st.session_state}


def start_on_scope() -> None:
    """When a lead signs in, the region filter starts on their scope (the regions
    assigned to them and those of their strategies), once: they can widen it. Filters
    already chosen (in the link or before signing in) are left as they are. Call
    before the filter widgets are drawn."""
    me = auth.actor()
    if not me.is_lead or st.session_state.get(_SCOPED) == me.user_id:
        return
    st.session_state[_SCOPED] = me.user_id
    if active():
        return
    scope = LeadScope(tuple(sorted(me.region_ids)), tuple(sorted(me.strategy_ids)))
    with Session(data.engine()) as session:
        st.session_state["f_region"] = list(scope_region_ids(session, scope))


def _search_notice() -> str | None:
    """Why the search is shorter than what was asked: too many words typed, or a link
    whose search was cut (until the search is changed)."""
    q = st.session_state.get("f_q", "")
    url_q = st.session_state.get("_f_q_from_url", "")
    return search_shortened_message(url_q if q == bounded_search(url_q)[0] else q)


def clear() -> None:
    for key in SPECS:
        st.session_state[f"f_{key}"] = []
    st.session_state["f_q"] = ""
    st.session_state["f_flagged"] = False


def soon_days() -> int:
    return int(st.session_state.get("f_soon", DEFAULT_SOON_DAYS))


def current(**overrides) -> OutcomeFilter:
    """The OutcomeFilter for the current widgets (status/schedule/basis as stored values)."""
    opts = options()
    values = dict(
        regions=tuple(st.session_state.get("f_region", [])),
        needs=tuple(st.session_state.get("f_need", [])),
        terms=tuple(st.session_state.get("f_term", [])),
        statuses=tuple(opts["status"][v] for v in st.session_state.get("f_status", [])),
        schedules=tuple(opts["schedule"][v] for v in st.session_state.get("f_schedule", [])),
        date_bases=tuple(opts["basis"][v] for v in st.session_state.get("f_basis", [])),
        flagged_only=bool(st.session_state.get("f_flagged")),
        search=st.session_state.get("f_q", ""),
        today=data.today(),
        soon_days=soon_days(),
        organisations=tuple(st.session_state.get("f_org", [])),
    )
    values.update(overrides)
    return OutcomeFilter(**values)


def active() -> bool:
    return bool(
        any(st.session_state.get(f"f_{k}") for k in SPECS)
        or st.session_state.get("f_q", "").strip()
        or st.session_state.get("f_flagged")
    )


def describe() -> str:
    """The active filters in words, for captions and empty states."""
    opts = options()
    words = describe_filter(
        current(), regions=opts["region"], needs=opts["need"], organisations=opts["org"]
    )
    return words or "no filters (the whole plan)"
