"""The tabs of the plan editor (pages/plan_editor.py), one module per tab or per pair
of closely related tabs; what they share is in `common`."""
