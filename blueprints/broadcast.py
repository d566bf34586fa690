"""``POST /api/broadcast``: server-side pushes through the output binding,
and through the service SDK for sends that carry a filter."""

import azure.functions as func

from blueprints import bindings

bp = func.Blueprint()


@bp.function_name("broadcast")
@bp.route(route="broadcast", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.generic_output_binding(
    arg_name="actions", type=bindings.OUTPUT, hub=bindings.HUB, connection=bindings.CONNECTION
)
def broadcast(req: func.HttpRequest, actions: func.Out[str]) -> func.HttpResponse:
    from adapters import webpubsub
    from blueprints import _adapter
    from blueprints._adapter import respond, sdk_failure, settings
    from chat.broadcast import handle_broadcast
    from chat.settings import SettingsError

    plan = handle_broadcast(req.get_body())
    if plan.filtered:
        # Filtered sends go first: if one fails, the binding's actions are not sent either.
        try:
            webpubsub.send_filtered(_adapter.service_clients.get(settings().hub), plan.filtered)
        except SettingsError as err:
            return sdk_failure(err)
        except webpubsub.ServiceError as err:
            return sdk_failure(err, sent=err.sent)
    return respond(plan, actions)
