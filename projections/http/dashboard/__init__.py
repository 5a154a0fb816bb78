"""The dashboard: a web page for officials (static/) and the JSON endpoints it needs (router.py)."""

from projections.http.dashboard.router import attach, router

__all__ = ["attach", "router"]
