"""The preference center's page, script and styles (the magic link opens the page)."""

from __future__ import annotations

from account import views
from ecrm.web.openapi_responses import answers
from ecrm.web.router import Response, Router

router = Router()


@router.get(
    "/preferences",
    summary="The preference center (sign in, edit, export, erase)",
    responses=answers(pages={200: "The page"}),
)
def preferences_page() -> Response[str]:
    return views.page("preferences.html")


@router.get(
    "/preferences/app.js",
    summary="The preference center's script",
    responses=answers(pages={200: "The script"}, media="text/javascript"),
)
def preferences_script() -> Response[str]:
    return views.asset("preferences.js")


@router.get(
    "/preferences/app.css",
    summary="The preference center's styles",
    responses=answers(pages={200: "The styles"}, media="text/css"),
)
def preferences_styles() -> Response[str]:
    return views.asset("preferences.css")
