"""``GET /api/presence?user=...|room=...``: presence through the gateway."""

from __future__ import annotations

import azure.functions as func

from composition import Dependencies


def blueprint(root: Dependencies) -> func.Blueprint:
    """The presence function, asking ``root``'s gateway."""
    bp = func.Blueprint()

    @bp.function_name("presence")
    @bp.route(route="presence", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
    def presence(req: func.HttpRequest) -> func.HttpResponse:
        from blueprints._convert import respond
        from routes.presence import presence

        return respond(presence(req.params, root.gateway(), root.hub))

    return bp
