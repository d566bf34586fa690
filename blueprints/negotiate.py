"""``GET|POST /api/negotiate``: connection info for a browser client."""

from __future__ import annotations

import azure.functions as func

from blueprints import bindings
from composition import Dependencies


def blueprint(root: Dependencies) -> func.Blueprint:
    """The negotiate function, judging the caller with ``root``'s settings."""
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
        from blueprints._convert import respond
        from routes.negotiate import PRINCIPAL_HEADER, negotiate

        return respond(negotiate(connection, req.headers.get(PRINCIPAL_HEADER), root.settings()))

    return bp
