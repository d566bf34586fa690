"""``OPTIONS|POST /api/webpubsub``: the events over HTTP with the context binding.

An alternative to the trigger functions for a hub whose event handler points
here instead of at ``/runtime/webhooks/webpubsub``.
"""

from __future__ import annotations

import azure.functions as func

from blueprints import bindings
from composition import Dependencies


def blueprint(root: Dependencies) -> func.Blueprint:
    """The webhook function, handling events with ``root``'s settings, clock, store and gateway."""
    bp = func.Blueprint()

    @bp.function_name("webhook")
    @bp.route(route="webpubsub", methods=["OPTIONS", "POST"], auth_level=func.AuthLevel.FUNCTION)
    @bp.generic_input_binding(arg_name="context", type=bindings.CONTEXT, connections=[bindings.CONNECTION])
    @bp.generic_output_binding(
        arg_name="actions", type=bindings.OUTPUT, hub=bindings.HUB, connection=bindings.CONNECTION
    )
    async def webhook(req: func.HttpRequest, context: str, actions: func.Out[str]) -> func.HttpResponse:
        from blueprints._convert import respond
        from chat.shell import complete
        from routes.webhook import PendingEvent, handle_webhook

        store = root.history_store()
        answer = handle_webhook(context, root.settings(), root.now(), history=store is not None)
        if isinstance(answer, PendingEvent):
            answer = answer.answer(await complete(answer.step, store, root.read_roster))
        return respond(answer, actions)

    return bp
