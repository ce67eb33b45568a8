"""Metrics: pure functions from pandas frames to plain tables and dataclasses.

Nothing here imports Django or touches a database, so the same numbers come out of the web
site, the command line and an analyst's notebook. Import from the module that holds a
function, e.g. ``from empower.metrics.cohort import sample_profile``.
"""
