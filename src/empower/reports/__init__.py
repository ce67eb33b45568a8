"""Reports: charts (inline SVG) and HTML rendering of metric results.

Pure like :mod:`empower.metrics`: no Django, plain data in, strings out. The web layer places
the HTML in its own pages; the same HTML can be saved as a file or printed to PDF.
Import from the modules: :mod:`empower.reports.charts`, :mod:`empower.reports.cohort`.
"""
