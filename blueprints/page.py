"""``GET /api/chat/{asset?}``: the browser client's static files."""

from pathlib import Path

import azure.functions as func

from blueprints._adapter import http_response
from chat.http import HttpReply, error_reply
from chat.page import HEADERS, find_asset

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

bp = func.Blueprint()


@bp.function_name("page")
@bp.route(route="chat/{asset?}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def page(req: func.HttpRequest) -> func.HttpResponse:
    asset = find_asset(req.route_params.get("asset"))
    if asset is None:
        return http_response(error_reply(404, "not_found", "no such file", field="asset"))
    body = (WEB_ROOT / asset.filename).read_bytes()
    return http_response(HttpReply(200, body, {"Content-Type": asset.content_type, **HEADERS}))
