"""A small Streamlit protocol client: what the browser does, without a browser.

    client = ProtocolClient("http://127.0.0.1:8501")
    run = client.open()                           # the entry page, as a browser's first load
    client.set_widget(client.widget(key="f_region").id, ["Southwest"])
    run = client.rerun()                          # send -> script_finished, timed
    client.click(client.button("Sign out").id)

Speaks the browser's protocol on `ws://HOST:PORT/_stcore/stream` (Streamlit 1.67,
streamlit/web/server/starlette/starlette_websocket.py): subprotocol "streamlit" (the
browser adds an XSRF token as the second entry only for the auth cookie, which a
local-accounts app does not use), then protobufs in binary frames: `BackMsg`
`rerun_script` with a `ClientState` (page hash, query string, widget states), answered
by `ForwardMsg`s (`new_session`, `session_status_changed`, `page_info_changed`,
`navigation`, deltas, `script_finished`). The client sends no `cached_message_hashes`,
so the server never answers with `ref_hash` references (runtime/forward_msg_cache.py);
one that arrives anyway is an error.

A widget drawn inside a fragment (`st.fragment`, and so `st.dialog`) reruns that
fragment only, as in the browser: `click` and `change` send the `fragment_id` its
delta carried, the server runs the fragment function alone, and the page keeps every
element but the fragment's, which the run draws again (a run's `new_session` names the
fragments it runs). A fragment that calls `st.rerun()` goes on into a full-app run,
collected as one run with it.

Depends on `websocket-client` and the protobufs inside the `streamlit` package only, so
the e2e smoke test can use it without Locust; it is gevent-friendly (plain sockets).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# script_finished values that end a run the client waits for (not FINISHED_EARLY_FOR_RERUN).
_FINAL = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}


class ProtocolError(Exception):
    """The server did something a browser would show as broken (or never answered)."""


@dataclass
class Node:
    """One element or block of the page, at its delta path."""

    path: tuple[int, ...]
    kind: str  # the Element oneof ("title", "button", "multiselect", ...) or "block"
    proto: Any  # the element's own message (e.g. Button), or the Block
    fragment_id: str = ""  # the fragment that drew it ("" outside any)

    @property
    def id(self) -> str:
        return getattr(self.proto, "id", "")

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "")

    @property
    def key(self) -> str:
        """The user key of a widget: Streamlit's ids end in `-<key>` when one is given."""
        parts = self.id.split("-", 2)
        return parts[2] if len(parts) == 3 and parts[2] != "None" else ""

    @property
    def text(self) -> str:
        for name in ("body", "text"):
            value = getattr(self.proto, name, None)
            if isinstance(value, str):
                return value
        return ""


@dataclass
class Run:
    """What one rerun produced."""

    ms: float
    nodes: dict[tuple[int, ...], Node]
    status: int
    page_hash: str
    messages: int
    exceptions: list[str] = field(default_factory=list)
    # The fragments the run began with (empty for a full-app run); one that went on
    # into a full-app run (its `st.rerun()`) has `status` FINISHED_SUCCESSFULLY.
    fragments: tuple[str, ...] = ()

    def find(self, kind: str | None = None, **match: str) -> Iterator[Node]:
        for node in self.nodes.values():
            if kind is not None and node.kind != kind:
                continue
            if all(getattr(node, name) == want for name, want in match.items()):
                yield node

    def texts(self, kind: str) -> list[str]:
        return [n.text for n in self.find(kind)]

    def errors(self) -> list[str]:
        """Error alerts and exceptions shown on the page."""
        alerts = [n.text for n in self.find("alert") if n.proto.format == n.proto.ERROR]
        return alerts + self.exceptions


def _widget_state(widget_id: str, value: Any) -> WidgetState:
    state = WidgetState(id=widget_id)
    if isinstance(value, bool):
        state.bool_value = value
    elif isinstance(value, int):
        state.int_value = value
    elif isinstance(value, float):
        state.double_value = value
    elif isinstance(value, str):
        state.string_value = value
    elif isinstance(value, dict):
        state.string_value = json.dumps(value)  # dataframe selections travel as JSON text
    elif all(isinstance(v, str) for v in value):
        state.string_array_value.data.extend(value)
    else:
        state.int_array_value.data.extend(int(v) for v in value)
    return state


class ProtocolClient:
    """One browser tab's session, over one WebSocket."""

    def __init__(
        self, base_url: str, *, timeout: float = 60.0, cookies: dict[str, str] | None = None
    ) -> None:
        parts = urlsplit(base_url)
        self.ws_url = f"ws://{parts.netloc}/_stcore/stream"
        self.timeout = timeout
        # Sent with the WebSocket's handshake, as a browser sends its cookies: the app
        # reads them there (st.context.cookies), e.g. the session cookie of a lead who
        # signed in before.
        self.cookies = dict(cookies or {})
        self.ws: websocket.WebSocket | None = None
        self.pages: dict[str, str] = {}  # page name or url path -> page_script_hash
        self.page_hash = ""
        self.query_string = ""
        self.widgets: dict[str, WidgetState] = {}
        self.last: Run | None = None
        self.script_running = False  # from session_status_changed

    # Connection -------------------------------------------------------------
    def connect(self) -> None:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        self.ws = websocket.create_connection(
            self.ws_url, timeout=self.timeout, subprotocols=["streamlit"], cookie=cookie or None
        )

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            finally:
                self.ws = None

    def open(self, *, page: str = "", query_string: str = "") -> Run:
        """Connect and run the app as a browser's first load (page name or url path)."""
        if self.ws is None:
            self.connect()
        self.query_string = query_string
        return self.rerun(page_hash=self.pages.get(page, ""), page_name=page)

    def goto(self, page: str) -> Run:
        """Open a page of the navigation by its title or url path, as the sidebar link does."""
        if page not in self.pages:
            raise ProtocolError(f"no page {page!r}; the app has {sorted(self.pages)}")
        return self.rerun(page_hash=self.pages[page])

    # Widgets ----------------------------------------------------------------
    def widget(self, **match: str) -> Node:
        """The one node of the last run matching e.g. key=..., label=..., kind=..."""
        if self.last is None:
            raise ProtocolError("no run yet")
        kind = match.pop("kind", None)
        found = list(self.last.find(kind, **match))
        if len(found) != 1:
            raise ProtocolError(f"{len(found)} elements match {kind} {match}")
        return found[0]

    def button(self, label: str) -> Node:
        nodes = list(self.last.find("button", label=label)) if self.last else []
        if len(nodes) != 1:
            raise ProtocolError(f"{len(nodes)} buttons labelled {label!r}")
        return nodes[0]

    def set_widget(self, widget_id: str, value: Any) -> None:
        """Set a widget's value for the next run (kept for the runs after, as a browser does)."""
        self.widgets[widget_id] = _widget_state(widget_id, value)

    def click(self, button_id: str) -> Run:
        """Press a button (or a form's submit button) and run: its fragment only when it
        was drawn in one."""
        return self.rerun(triggers=[button_id], fragment_id=self._fragment_of(button_id))

    def change(self, widget_id: str, value: Any) -> Run:
        """Set a widget's value and run, as the browser does when it changes: its
        fragment only when it was drawn in one."""
        self.set_widget(widget_id, value)
        return self.rerun(fragment_id=self._fragment_of(widget_id))

    def _fragment_of(self, widget_id: str) -> str:
        nodes = self.last.nodes.values() if self.last else ()
        return next((n.fragment_id for n in nodes if n.id == widget_id), "")

    # Runs ---------------------------------------------------------------------
    def rerun(
        self,
        *,
        page_hash: str | None = None,
        page_name: str = "",
        triggers: tuple | list = (),
        fragment_id: str = "",
    ) -> Run:
        if self.ws is None:
            raise ProtocolError("not connected")
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash if page_hash is None else page_hash
        state.page_name = page_name
        state.fragment_id = fragment_id
        state.widget_states.widgets.extend(self.widgets.values())
        for button_id in triggers:
            state.widget_states.widgets.append(WidgetState(id=button_id, trigger_value=True))
        started = time.perf_counter()
        self.ws.send(msg.SerializeToString(), opcode=websocket.ABNF.OPCODE_BINARY)
        run = self._collect(started)
        self.last = run
        # As the browser: widgets no longer on the page lose their values.
        shown = {n.id for n in run.nodes.values() if n.id}
        self.widgets = {k: v for k, v in self.widgets.items() if k in shown}
        return run

    def _collect(self, started: float) -> Run:
        nodes: dict[tuple[int, ...], Node] = {}
        exceptions: list[str] = []
        count = 0
        fragments: tuple[str, ...] | None = None
        while True:  # each recv() times out after self.timeout
            fwd = self._receive()
            count += 1
            kind = fwd.WhichOneof("type")
            if kind == "script_finished" and fwd.script_finished in _FINAL:
                ms = (time.perf_counter() - started) * 1000
                return Run(
                    ms, nodes, fwd.script_finished, self.page_hash, count, exceptions,
                    fragments or (),
                )  # fmt: skip
            if kind == "new_session" and fragments is None:
                fragments = tuple(fwd.metadata.run.fragment_ids)
            self._handle(fwd, nodes, exceptions)

    def _handle(self, fwd: ForwardMsg, nodes: dict, exceptions: list[str]) -> None:
        kind = fwd.WhichOneof("type")
        if kind == "delta":
            self._delta(fwd, nodes, exceptions)
        elif kind == "new_session":
            # A (re)started run draws the page afresh; a fragment's run, only what that
            # fragment drew (the browser keeps the rest).
            fragments = set(fwd.metadata.run.fragment_ids)
            kept = self.last.nodes if fragments and self.last else {}
            nodes.clear()
            nodes.update({p: n for p, n in kept.items() if n.fragment_id not in fragments})
            self.page_hash = fwd.new_session.page_script_hash
            self._pages(fwd.new_session.app_pages)
        elif kind == "navigation":
            self._pages(fwd.navigation.app_pages)
            self.page_hash = fwd.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query_string = fwd.page_info_changed.query_string
        elif kind == "session_status_changed":
            self.script_running = fwd.session_status_changed.script_is_running
        elif kind == "ref_hash":
            raise ProtocolError("server sent a cached-message reference to a cache-less client")
        elif kind == "page_not_found":
            exceptions.append(f"page not found: {fwd.page_not_found.page_name}")
        elif kind == "session_event" and fwd.session_event.HasField("script_compilation_exception"):
            exceptions.append(f"script error: {fwd.session_event.script_compilation_exception}")

    def _receive(self) -> ForwardMsg:
        assert self.ws is not None
        try:
            data = self.ws.recv()
        except (websocket.WebSocketException, OSError) as exc:
            raise ProtocolError(f"websocket: {exc}") from exc
        if not isinstance(data, bytes):
            raise ProtocolError("text frame from the server")
        fwd = ForwardMsg()
        fwd.ParseFromString(data)
        return fwd

    def _pages(self, app_pages) -> None:
        for p in app_pages:
            self.pages[p.page_name] = p.page_script_hash
            self.pages[p.url_pathname] = p.page_script_hash

    def _delta(self, fwd: ForwardMsg, nodes: dict, exceptions: list[str]) -> None:
        path = tuple(fwd.metadata.delta_path)
        delta = fwd.delta
        which = delta.WhichOneof("type")
        if which == "add_block":
            nodes[path] = Node(path, "block", delta.add_block, delta.fragment_id)
        elif which == "new_element":
            element: Element = delta.new_element
            kind = element.WhichOneof("type") or ""
            proto = getattr(element, kind) if kind else element
            nodes[path] = Node(path, kind, proto, delta.fragment_id)
            if kind == "exception":
                exceptions.append(f"{element.exception.type}: {element.exception.message}")
