"""``GET /api/presence?user=...|room=...``: presence through the service SDK."""

import azure.functions as func

bp = func.Blueprint()


@bp.function_name("presence")
@bp.route(route="presence", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def presence(req: func.HttpRequest) -> func.HttpResponse:
    from adapters import webpubsub
    from blueprints import _adapter
    from blueprints._adapter import http_response, sdk_failure, settings
    from chat.http import HttpReply
    from chat.presence import MAX_LISTED, RoomQuery, parse_query, room_reply, user_reply
    from chat.settings import SettingsError

    query = parse_query(req.params)
    if isinstance(query, HttpReply):
        return http_response(query)
    try:
        client = _adapter.service_clients.get(settings().hub)
        if isinstance(query, RoomQuery):
            reply = room_reply(query, webpubsub.room_connections(client, query.room, MAX_LISTED + 1))
        else:
            reply = user_reply(query, webpubsub.user_connected(client, query.user))
    except (SettingsError, webpubsub.ServiceError) as err:
        return sdk_failure(err)
    return http_response(reply)
