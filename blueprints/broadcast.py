"""``POST /api/broadcast``: server-side pushes through the output binding."""

import azure.functions as func

from blueprints import bindings
from blueprints._adapter import respond
from chat.broadcast import handle_broadcast

bp = func.Blueprint()


@bp.function_name("broadcast")
@bp.route(route="broadcast", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.generic_output_binding(
    arg_name="actions", type=bindings.OUTPUT, hub=bindings.HUB, connection=bindings.CONNECTION
)
def broadcast(req: func.HttpRequest, actions: func.Out[str]) -> func.HttpResponse:
    return respond(handle_broadcast(req.get_body()), actions)
