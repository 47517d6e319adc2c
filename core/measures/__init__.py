"""Measures: numbers tracked against a target (the report's "Performance Measure for
Strategy Achievements"), their append-only values, and the state computed from them."""
