"""Language and projector mode: remembered in cookies, then back to the page the learner was on."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from app.i18n import LANGUAGES

router = APIRouter(include_in_schema=False)
LAB = None
YEAR = 365 * 24 * 3600


def safe_next(next_url: str) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        return "/"
    return next_url


@router.get("/prefs")
def set_preferences(
    lang: Literal[LANGUAGES] | None = None,  # type: ignore[valid-type]
    projector: Literal["0", "1"] | None = None,
    next: str = Query("/", max_length=2000),
):
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang:
        response.set_cookie("lang", lang, max_age=YEAR, samesite="lax")
    if projector:
        response.set_cookie("projector", projector, max_age=YEAR, samesite="lax")
    return response
