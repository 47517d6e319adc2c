"""Partners: the organisations named in the plan's Resources cells.

names (the one name-key rule), catalogue (reading data/organisations.yaml), loading
(seeding the organisation tables with the plan), editing (admins' changes) and
queries (reads for the pages). Import from the modules; nothing is re-exported here.
"""
