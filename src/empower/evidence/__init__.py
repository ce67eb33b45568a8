"""Systematic evidence review: import, de-duplication, screening, prioritisation, PRISMA.

Pure Python (no Django): the site's ``reviews`` app stores projects and decisions and calls
these functions; analysts can use them directly in a notebook.
"""
