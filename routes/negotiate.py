"""Decide what ``/api/negotiate`` answers.

The ``webPubSubConnection`` binding has already minted a token for the user
id in the ``x-ms-client-principal-name`` header. That header is only
trustworthy when App Service Authentication sets it or the app runs on a
local development host; anywhere else the token is never handed out.
"""

from __future__ import annotations

from chat.settings import Settings
from codec import strict_json
from routes.http import HttpAnswer, error_answer, json_answer

PRINCIPAL_HEADER = "x-ms-client-principal-name"
MAX_USER_ID_LENGTH = 256


def negotiate(connection_info: str | None, user_id: str | None, settings: Settings) -> HttpAnswer:
    """The connection JSON for the browser, or a JSON error without the token."""
    if not settings.trusts_principal_header:
        return error_answer(
            500,
            "authentication_not_configured",
            "App Service Authentication is not known to be on, so the caller's identity header "
            "cannot be trusted; turn it on for this app (see docs/deploying.md, Who the user is)",
        )
    if not user_id or not user_id.strip():
        return error_answer(
            401, "no_user", f"sign in first: the {PRINCIPAL_HEADER} header is missing", field=PRINCIPAL_HEADER
        )
    if len(user_id) > MAX_USER_ID_LENGTH or not user_id.isprintable():
        return error_answer(
            400,
            "invalid_user",
            f"the {PRINCIPAL_HEADER} header must be 1 to {MAX_USER_ID_LENGTH} printable characters",
            field=PRINCIPAL_HEADER,
        )
    info = _connection_info(connection_info)
    if info is None:
        # Never echo the value: it holds an access token.
        return error_answer(
            502, "bad_connection_info", "the Web PubSub binding returned no usable connection info"
        )
    return json_answer(200, info, Cache_Control="no-store")


def _connection_info(raw: str | None) -> dict[str, str] | None:
    if raw is None:
        return None
    try:
        value = strict_json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    info: dict[str, str] = {}
    for key in ("url", "baseUrl", "accessToken"):
        field = value.get(key)
        if not isinstance(field, str) or not field:
            return None
        info[key] = field
    return info
