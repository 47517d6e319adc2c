"""Panels: the parts of a page (a tab, a form, a block of charts), each drawn by one
function, so that a file in pages/ reads like a table of contents."""
