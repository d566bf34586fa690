"""``GET /api/chat/{asset?}``: the browser client's static files."""

from __future__ import annotations

import os

import azure.functions as func

from composition import Dependencies

# os.path rather than pathlib: pathlib would be one more import at indexing.
WEB_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")


def blueprint(root: Dependencies) -> func.Blueprint:
    """The page function (it needs nothing from ``root``)."""
    bp = func.Blueprint()

    @bp.function_name("page")
    @bp.route(route="chat/{asset?}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    def page(req: func.HttpRequest) -> func.HttpResponse:
        from blueprints._convert import respond
        from routes.page import page

        return respond(page(req.route_params.get("asset"), _read))

    return bp


def _read(filename: str) -> bytes:
    with open(os.path.join(WEB_ROOT, filename), "rb") as file:
        return file.read()
