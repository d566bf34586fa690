"""``GET|POST /api/negotiate``: connection info for a browser client."""

import azure.functions as func

from blueprints import bindings

bp = func.Blueprint()


@bp.function_name("negotiate")
@bp.route(route="negotiate", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.generic_input_binding(
    arg_name="connection",
    type=bindings.CONNECTION_INFO,
    hub=bindings.HUB,
    connection=bindings.CONNECTION,
    user_id=bindings.USER_ID_EXPRESSION,
)
async def negotiate_function(req: func.HttpRequest, connection: str) -> func.HttpResponse:
    from blueprints._adapter import http_response, settings
    from chat.negotiate import PRINCIPAL_HEADER, negotiate

    return http_response(negotiate(connection, req.headers.get(PRINCIPAL_HEADER), settings()))
