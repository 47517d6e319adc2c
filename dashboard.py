"""Entry point: `streamlit run dashboard.py`. Navigation, shared sidebar, footer.

`streamlit run` finds the `st.App` below by reading this file and serves it: the
server imports this file as the module `dashboard` (which only builds the App, with
the sign-in, sign-out and calendar routes of ui/routes.py), and every page run then
executes it as `__main__`, which draws the page."""

import streamlit as st


def main() -> None:
    # Imported here, not at the top: the server imports this file before Streamlit's
    # runtime exists, and the ui modules' caches are declared when they are imported.
    from core.plan.files import PlanFileError
    from core.store.db import DatabaseUnavailable
    from ui import actions, auth, components, data, filters, integrity, shell

    shell.entered()
    st.set_page_config(
        page_title="Missouri Anti-Trafficking Plan Tracker",
        page_icon=shell.PAGE_ICON,
        layout="wide",
    )

    try:
        data.engine()
        data.refresh()
        data.reference()
    except DatabaseUnavailable as exc:
        st.error(actions.for_reader(exc), icon=":material/database:")
        components.footer()
        st.stop()
    except PlanFileError as exc:
        st.error(
            f"The plan in data/ could not be loaded, so the database was left as it was.\n\n{exc}",
            icon=":material/description:",
        )
        components.footer()
        st.stop()

    auth.refresh()
    page = shell.navigation(admin=auth.is_admin())
    auth.sidebar()
    integrity.banner()  # admins: a warning when the history does not verify
    if not auth.can_read():
        st.title("Missouri Anti-Trafficking Plan Tracker")
        st.info("This deployment is private. Sign in from the sidebar to see the plan.")
        components.footer()
        st.stop()
    filters.sidebar()
    actions.draw(page.run)  # a failure while reading: a message, not a traceback
    components.footer()
    shell.settle()  # once per process: start-up objects out of the collector's reach


if __name__ == "__main__":
    main()
else:
    from streamlit.runtime.pages_manager import PagesManager

    from ui import routes

    # The navigation is declared by this file's st.navigation (ui/shell.py), never by
    # the pages/ folder: with the folder's legacy mode on, a restarted server's first
    # run would list every file in pages/ (admin pages too) until that run declared
    # the navigation, seconds later.
    PagesManager.uses_pages_directory = False
    app = st.App(__file__, routes=routes.ROUTES, middleware=routes.MIDDLEWARE)
