"""``POST /api/broadcast``: server-side pushes through the output binding,
and through the gateway for sends that carry a filter."""

from __future__ import annotations

import azure.functions as func

from blueprints import bindings
from composition import Dependencies


def blueprint(root: Dependencies) -> func.Blueprint:
    """The broadcast function, sending filtered sends through ``root``'s gateway."""
    bp = func.Blueprint()

    @bp.function_name("broadcast")
    @bp.route(route="broadcast", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
    @bp.generic_output_binding(
        arg_name="actions", type=bindings.OUTPUT, hub=bindings.HUB, connection=bindings.CONNECTION
    )
    def broadcast(req: func.HttpRequest, actions: func.Out[str]) -> func.HttpResponse:
        from blueprints._convert import respond
        from routes.broadcast import broadcast

        return respond(broadcast(req.get_body(), root.gateway(), root.hub), actions)

    return bp
