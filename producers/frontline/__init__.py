"""The front line: the collaborator's offline household book (Sổ A0 điện tử) and the commune
officer's desk, one installable web app at /ctv (static/), with its endpoints."""

from fastapi import FastAPI


def attach(app: FastAPI) -> None:
    """Mount the app and its endpoints (needs the read API's and the gateway's app.state)."""
    from producers.frontline import desk, router

    app.include_router(router.router)
    app.include_router(desk.router)
