"""``GET /api/chat/{asset?}``: the browser client's static files."""

import os

import azure.functions as func

# os.path rather than pathlib: pathlib would be one more import at indexing.
WEB_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")

bp = func.Blueprint()


@bp.function_name("page")
@bp.route(route="chat/{asset?}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def page(req: func.HttpRequest) -> func.HttpResponse:
    from blueprints._adapter import http_response
    from chat.http import HttpReply, error_reply
    from chat.page import HEADERS, find_asset

    asset = find_asset(req.route_params.get("asset"))
    if asset is None:
        return http_response(error_reply(404, "not_found", "no such file", field="asset"))
    with open(os.path.join(WEB_ROOT, asset.filename), "rb") as file:
        body = file.read()
    return http_response(HttpReply(200, body, {"Content-Type": asset.content_type, **HEADERS}))
