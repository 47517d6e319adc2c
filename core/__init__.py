"""The tracker's core: plan model, loading, date rules, queries and services.

Nothing in this package imports Streamlit; the pages are thin views over it.
"""
