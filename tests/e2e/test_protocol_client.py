"""bench/protocol.py against the real server: the Streamlit protocol without a browser
(the client bench/capacity.py drives under Locust). Not a timing test."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from core.config import PROJECT_ROOT

pytestmark = pytest.mark.e2e

pytest.importorskip("websocket", reason="pip install -e '.[test]' (websocket-client)")


def _load_protocol():
    # By file, not via sys.path: bench/pages.py would shadow the pages/ folder.
    spec = importlib.util.spec_from_file_location(
        "bench_protocol", PROJECT_ROOT / "bench" / "protocol.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ProtocolClient = _load_protocol().ProtocolClient

SUCCESS = 0  # ForwardMsg.FINISHED_SUCCESSFULLY


@pytest.fixture(scope="module")
def client(start_server):
    server = start_server()
    client = ProtocolClient(server.url, timeout=60)
    yield client
    client.close()


def test_open_shows_the_overview_and_its_filters(client):
    run = client.open()

    assert run.status == SUCCESS
    assert "Statewide progress" in run.texts("heading")
    assert not run.errors()
    assert "Overdue & due soon" in client.pages
    region = client.widget(key="f_region")
    assert "Southwest" in region.proto.options


def test_a_region_filter_reruns_the_page_on_that_region(client):
    if client.last is None:
        client.open()
    before = client.last
    assert "Southwest" not in " ".join(n.text for n in before.nodes.values())
    client.set_widget(client.widget(key="f_region").id, ["Southwest"])

    run = client.rerun()

    assert run.status == SUCCESS
    assert run is not before and run.page_hash == before.page_hash
    assert client.query_string == "region=southwest"
    assert not run.errors()
    shown = " ".join(n.text for n in run.nodes.values())
    assert "Southwest" in shown


def test_a_sidebar_link_opens_another_page(client):
    if client.last is None:
        client.open()

    run = client.goto("Overdue & due soon")

    assert run.status == SUCCESS
    assert "Overdue & due soon" in run.texts("heading")
    assert any(n.key.startswith("overdue_table_") for n in run.find("dataframe"))


def _fresh_signed_in(start_server):
    server = start_server()
    client = ProtocolClient(server.url, timeout=60)
    client.open()
    client.set_widget(client.widget(kind="text_input", label="Username").id, server.lead)
    client.set_widget(client.widget(kind="text_input", label="Password").id, server.password)
    client.click(client.button("Sign in").id)
    assert any(client.last.find("button", label="Sign out")), client.last.errors()
    return client


def test_a_widget_in_a_fragment_reruns_that_fragment_and_the_page_is_kept(start_server):
    # As the browser does: the Update dialog is a fragment (st.dialog), so posting a
    # comment in it runs the dialog's function alone; the page around it stays.
    client = _fresh_signed_in(start_server)
    try:
        run = client.goto("Overdue & due soon")
        table = next(n for n in run.find("dataframe") if n.key.startswith("overdue_table_"))
        client.set_widget(table.id, {"selection": {"rows": [0], "columns": []}})
        client.rerun()
        run = client.click(client.widget(key="form_overdue_one").id)
        assert run.fragments == ()  # the Update button is the page's: a full-app run
        box = next(n for n in run.find("text_area") if n.label == "Add a comment")
        assert box.fragment_id  # drawn by the dialog's fragment
        page_nodes = {p for p, n in run.nodes.items() if not n.fragment_id}

        client.change(box.id, "Called the shelter about a bed")
        run = client.click(client.button("Post comment").id)

        assert run.fragments == (box.fragment_id,)
        assert run.status == 3  # ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
        assert not run.errors()
        assert page_nodes <= set(run.nodes)  # the sidebar and the tables, kept
        assert any(n.key == "f_region" for n in run.nodes.values())
        shown = " ".join(n.text for n in run.nodes.values() if n.fragment_id)
        assert "Comment posted" in shown and "Called the shelter about a bed" in shown
    finally:
        client.close()
