"""The Organisations page's panels (admins only): a searchable table of the plan's
organisations, and forms that add one, rename and edit one, change its names, merge
it into another, retire or restore it, and link a strategy's resource item to it.

Every change goes through the action runner (ui/actions.py) as an admin checked
again then. Each form keeps the organisation's version from when it was drawn
(`_seen`): a change someone made since is refused on save, with a message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlmodel import Session, col, select

from core.models import (
    Organisation,
    OrganisationKind,
    OrganisationName,
    OrganisationRegion,
    Strategy,
    StrategyOrganisation,
)
from core.partners import editing, linking
from core.partners.names import name_key
from core.people import permissions
from core.plan import changelog
from ui import actions, auth, data
from ui.text import md

FLASH = "organisations_flash"
SEEN = "organisations_seen"  # {form: (what it is for, what it showed when drawn)}
KINDS = [k.value for k in OrganisationKind]


def show_flash() -> None:
    if flash := st.session_state.pop(FLASH, None):
        st.success(md(flash), icon=":material/check_circle:")


def _act(change: Callable[[Session, permissions.Actor], object], success: str) -> None:
    """Make a change as the admin now in the database, then rerun with `success`; a
    refusal (a stale form, a duplicate name, …) is shown instead, nothing written."""

    def action(session: Session) -> None:
        change(session, auth.actor(fresh=True))

    result = actions.run(action)
    if result.error is not None:
        if isinstance(result.error, editing.StaleOrganisationEdit):
            st.session_state.get(SEEN, {}).clear()  # redrawn with what is there now
        actions.show(result.error)
        return
    st.session_state.get(SEEN, {}).clear()
    st.session_state[FLASH] = success
    st.rerun()


def _seen(form: str, org_id: str) -> str:
    """The organisation's version when `form` was first drawn for it (kept across
    reruns until a save, so a change made meanwhile is noticed)."""
    seen = st.session_state.setdefault(SEEN, {})
    if seen.get(form, (None,))[0] != org_id:
        with Session(data.engine()) as session:
            seen[form] = (org_id, editing.version_of(session, org_id))
    return seen[form][1]


def _regions() -> dict[str, str]:
    return {r["id"]: r["name"] for r in data.reference()["regions"]}


def organisations() -> pd.DataFrame:
    """One row per organisation: id, name, kind, names, regions, strategies, status
    (four queries, whatever the number of organisations)."""
    regions = _regions()
    names: dict[str, list[str]] = defaultdict(list)
    served: dict[str, list[str]] = defaultdict(list)
    strategies: dict[str, set[str]] = defaultdict(set)
    with Session(data.engine()) as session:
        orgs = session.exec(select(Organisation).order_by(col(Organisation.position))).all()
        for org_id, name in session.exec(
            select(OrganisationName.organisation_id, OrganisationName.name)
        ):
            names[org_id].append(name)
        for org_id, region_id in session.exec(
            select(OrganisationRegion.organisation_id, OrganisationRegion.region_id)
        ):
            served[org_id].append(regions.get(region_id, region_id))
        for org_id, strategy_id in session.exec(
            select(StrategyOrganisation.organisation_id, StrategyOrganisation.strategy_id)
        ):
            strategies[org_id].add(strategy_id)
    rows = [
        {
            "id": org.id,
            "name": org.name,
            "kind": org.kind,
            "names": "; ".join(sorted(names[org.id], key=str.casefold)),
            "regions": ", ".join(sorted(served[org.id])),
            "strategies": len(strategies[org.id]),
            "status": _status(org),
            "active": not org.retired,
        }
        for org in orgs
    ]
    columns = ["id", "name", "kind", "names", "regions", "strategies", "status", "active"]
    return pd.DataFrame(rows, columns=columns)


def _status(org: Organisation) -> str:
    if org.merged_into_id:
        return f"merged into {org.merged_into_id}"
    return "retired" if org.retired else "active"


def organisations_table(table: pd.DataFrame) -> None:
    """The table, narrowed by a search over every name an organisation goes by."""
    query = st.text_input("Search organisations", placeholder="a name, short name or spelling")
    shown = table
    if key := name_key(query or ""):
        found = table["names"].map(name_key).str.contains(key, regex=False)
        shown = table[found | table["id"].str.contains(key, regex=False)]
    st.dataframe(shown.drop(columns=["active"]), hide_index=True)
    st.caption(f"{len(shown):,} of {len(table):,} organisations.")


def add_form() -> None:
    regions = _regions()
    with st.form("add_organisation", clear_on_submit=True):
        st.subheader("Add an organisation")
        name = st.text_input("Name", key="add_org_name")
        kind = st.selectbox(
            "Kind", KINDS, index=KINDS.index(OrganisationKind.SERVICE_PROVIDER), key="add_org_kind"
        )
        names = st.text_area("Short names and spellings (one a line)", key="add_org_names")
        chosen = st.multiselect(
            "Regions served", list(regions), format_func=regions.__getitem__, key="add_org_regions"
        )
        website = st.text_input("Website (optional)", key="add_org_website")
        reason = st.text_input("Reason", key="add_org_reason")
        if st.form_submit_button("Add organisation", type="primary"):
            _act(
                lambda s, me: editing.add_organisation(
                    session=s,
                    actor=me,
                    name=name,
                    kind=kind or "",
                    reason=reason,
                    names=(names or "").splitlines(),
                    region_ids=chosen,
                    website=website,
                ),
                f"Added {name.strip()}.",
            )


def pick(table: pd.DataFrame) -> str | None:
    """The organisation the forms below change."""
    if table.empty:
        return None
    st.subheader("Change an organisation")
    labels = dict(zip(table["id"], table["name"] + " (" + table["status"] + ")", strict=True))
    return st.selectbox(
        "Organisation", list(labels), format_func=labels.__getitem__, key="org_pick"
    )


def edit_form(org_id: str) -> None:
    regions = _regions()
    seen = _seen("edit", org_id)
    with Session(data.engine()) as session:
        org = session.get(Organisation, org_id)
        current = editing.regions_of(session, org_id)
    if org is None:
        return
    with st.form(f"edit_organisation_{org_id}"):
        st.markdown("**Rename and edit**")
        name = st.text_input("Name", value=org.name, help="The old name stays as a spelling.")
        kind = st.selectbox("Kind", KINDS, index=KINDS.index(org.kind) if org.kind in KINDS else 0)
        chosen = st.multiselect(
            "Regions served", list(regions), default=current, format_func=regions.__getitem__
        )
        website = st.text_input("Website", value=org.website or "")
        reason = st.text_input("Reason", key=f"edit_org_reason_{org_id}")
        if st.form_submit_button("Save changes"):

            def save(s: Session, me: permissions.Actor) -> None:
                editing.rename(
                    session=s,
                    actor=me,
                    organisation_id=org_id,
                    name=name,
                    reason=reason,
                    expected_version=seen,
                )
                changes = {"kind": kind, "region_ids": chosen, "website": website}
                editing.edit_organisation(
                    session=s, actor=me, organisation_id=org_id, changes=changes, reason=reason
                )

            _act(save, f"Saved {name.strip()}.")


def names_form(org_id: str, names: list[str]) -> None:
    seen = _seen("names", org_id)
    with st.form(f"organisation_names_{org_id}", clear_on_submit=True):
        st.markdown("**Short names and spellings**")
        new = st.text_input("Add a short name or spelling")
        gone = st.selectbox("Remove a name", names, index=None)
        reason = st.text_input("Reason", key=f"names_org_reason_{org_id}")
        left, right = st.columns(2)
        if left.form_submit_button("Add name"):
            _act(
                lambda s, me: editing.add_name(
                    session=s,
                    actor=me,
                    organisation_id=org_id,
                    name=new,
                    reason=reason,
                    expected_version=seen,
                ),
                f"Added the name {new.strip()}.",
            )
        if right.form_submit_button("Remove name"):
            if gone is None:
                actions.show("Choose the name to remove.")
                return
            _act(
                lambda s, me: editing.remove_name(
                    session=s,
                    actor=me,
                    organisation_id=org_id,
                    name=gone or "",
                    reason=reason,
                    expected_version=seen,
                ),
                f"Removed the name {gone}.",
            )


def merge_form(org_id: str, table: pd.DataFrame) -> None:
    others = table[table["active"] & (table["id"] != org_id)]
    seen = _seen("merge", org_id)
    labels = dict(zip(others["id"], others["name"], strict=True))
    with st.form(f"merge_organisation_{org_id}"):
        st.markdown("**Merge into another organisation**")
        st.caption("Its names, strategy links and users move there; its history stays.")
        into = st.selectbox(
            "Merge into",
            list(labels),
            format_func=labels.__getitem__,
            index=None,
            key=f"merge_org_into_{org_id}",
        )
        reason = st.text_input("Reason", key=f"merge_org_reason_{org_id}")
        if st.form_submit_button("Merge"):
            if into is None:
                actions.show("Choose the organisation to merge into.")
                return
            _act(
                lambda s, me: linking.merge(
                    session=s,
                    actor=me,
                    organisation_id=org_id,
                    into_id=into,
                    reason=reason,
                    expected_version=seen,
                ),
                f"Merged into {labels[into]}.",
            )


def retire_form(org_id: str, retired: bool) -> None:
    seen = _seen("retire", org_id)
    with st.form(f"retire_organisation_{org_id}"):
        st.markdown("**Restore**" if retired else "**Retire**")
        reason = st.text_input("Reason", key=f"retire_org_reason_{org_id}")
        if st.form_submit_button("Restore" if retired else "Retire"):
            _act(
                lambda s, me: editing.set_retired(
                    session=s,
                    actor=me,
                    organisation_id=org_id,
                    retired=not retired,
                    reason=reason,
                    expected_version=seen,
                ),
                "Restored." if retired else "Retired; its history is kept.",
            )


def link_form(org_id: str) -> None:
    """Link (or unlink) one of a strategy's resource items to the organisation."""
    st.markdown("**Strategies' resource items naming it**")
    with Session(data.engine()) as session:
        resources = {
            s.id: s.resources for s in session.exec(select(Strategy).order_by(col(Strategy.id)))
        }
        links = editing.links_of(session, org_id)
    for linked, position in links:
        items = resources.get(linked, [])
        st.text(f"{linked}: {items[position] if position < len(items) else position + 1}")
    chosen = st.selectbox("Strategy", list(resources), index=None, key=f"link_st_{org_id}")
    if chosen is None:
        return
    # the items as first drawn (kept until a save): a link saved after someone edited
    # the Resources cell is refused rather than put on another item
    seen = st.session_state.setdefault(SEEN, {})
    if seen.get("link", (None,))[0] != (org_id, chosen):
        seen["link"] = ((org_id, chosen), list(resources[chosen]))
    items = seen["link"][1]
    with st.form(f"link_organisation_{org_id}"):
        index = st.selectbox("Resource item", range(len(items)), format_func=items.__getitem__)
        reason = st.text_input("Reason", key=f"link_org_reason_{org_id}")
        left, right = st.columns(2)
        drawn = items[index or 0] if items else None
        if left.form_submit_button("Link"):
            _act(
                _linker(linking.link_strategy, chosen, index or 0, org_id, reason, drawn),
                f"Linked {chosen}.",
            )
        if right.form_submit_button("Unlink"):
            _act(
                _linker(linking.unlink_strategy, chosen, index or 0, org_id, reason, drawn),
                f"Unlinked {chosen}.",
            )


def _linker(
    change: Callable[..., object],
    strategy_id: str,
    index: int,
    org_id: str,
    reason: str,
    resource: str | None,
) -> Callable[[Session, permissions.Actor], object]:
    def link(session: Session, me: permissions.Actor) -> object:
        return change(
            session=session,
            actor=me,
            strategy_id=strategy_id,
            resource_index=index,
            organisation_id=org_id,
            reason=reason,
            resource=resource,
        )

    return link


def change_log() -> None:
    log = data.plan_changes(subject_kind=editing.SUBJECT)
    with st.expander("Change log"):
        if log.empty:
            st.caption("No changes to the organisations yet.")
            return
        log = log.assign(
            change=[
                changelog.describe_change(b, a)
                for b, a in zip(log["before"], log["after"], strict=True)
            ]
        )
        st.dataframe(
            log[["changed_at", "changed_by", "action", "subject_id", "change", "reason"]],
            hide_index=True,
        )
