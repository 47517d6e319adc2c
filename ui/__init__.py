"""Streamlit glue shared by the pages: cached data access, filters, components."""
