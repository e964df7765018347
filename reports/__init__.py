"""WHAT a person reads after a search: PDF reports built from MLflow only.

Nothing here imports training code, so a report can be made for any search,
old or new, from any machine that reaches the tracking store.
"""
