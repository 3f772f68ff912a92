"""Renderers: Markdown, HTML and plain text of typed documents (reports, tables,
the scenario reference). They format; they compute nothing.
"""
