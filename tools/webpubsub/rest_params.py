"""The REST API's inputs, checked against the data-plane spec, and its error answers.

Every check that fails raises ``ApiError``; the API turns it into the body the
SDKs read, ``{"code", "message", "target"}`` (the spec's ``ErrorDetail``), with
the code repeated in ``x-ms-error-code`` as the service does.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from aiohttp import web
from multidict import MultiMapping

from tools.webpubsub import strict_json
from tools.webpubsub.state import PERMISSIONS, DataType, Message, Permission

LATEST_API_VERSION = "2024-12-01"
# The stable versions Microsoft's SDKs send (2022-11-01 by the .NET 1.3 client).
API_VERSIONS = ("2021-10-01", "2022-11-01", "2024-01-01", LATEST_API_VERSION)

HUB_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}")
GROUP_MAX_LENGTH = 1024
TTL_MAX_SECONDS = 300
# The spec (routes.tsp, generateClientToken) sets only a minimum of 1 on an
# int32; this service bounds client tokens at 30 days, its own choice.
MINUTES_TO_EXPIRE_MAX = 43_200
PAGE_SIZE_MAX = 200

CONTENT_TYPES: dict[str, DataType] = {
    "text/plain": "text",
    "application/json": "json",
    "application/octet-stream": "binary",
}


class ApiError(Exception):
    """An answer other than success: HTTP status, the service's error code, a message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        target: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        """The ``ErrorDetail`` JSON body."""
        detail = {"code": self.code, "message": self.message}
        if self.target:
            detail["target"] = self.target
        return detail


def bad_request(target: str, message: str) -> ApiError:
    """A 400 naming the parameter at fault."""
    return ApiError(400, "InvalidArgument", f"{target}: {message}", target)


def api_version(query: MultiMapping[str]) -> str:
    """The request's api-version; none means the latest. Repeats must agree."""
    values = set(query.getall("api-version", []))
    if not values:
        return LATEST_API_VERSION
    if len(values) > 1:
        raise bad_request("api-version", "given more than once with different values")
    (version,) = values
    if version not in API_VERSIONS:
        raise bad_request(
            "api-version", f"{version!r} is not supported; use one of {', '.join(API_VERSIONS)}"
        )
    return version


def hub(name: str) -> str:
    """A hub name as the spec's pattern allows."""
    if not HUB_PATTERN.fullmatch(name):
        raise bad_request(
            "hub",
            "must start with a letter and hold up to 128 letters, digits and _`,.[] characters",
        )
    return name


def group(name: str, target: str = "group") -> str:
    """A group name: 1 to 1,024 characters, not only white space."""
    if not name or name.isspace():
        raise bad_request(target, "must not be empty or only white space")
    if len(name) > GROUP_MAX_LENGTH:
        raise bad_request(target, f"is {len(name)} characters long; the limit is {GROUP_MAX_LENGTH}")
    return name


def identifier(name: str, target: str) -> str:
    """A connection id or user id: at least one character."""
    if not name:
        raise bad_request(target, "must not be empty")
    return name


def permission(name: str) -> Permission:
    """``sendToGroup`` or ``joinLeaveGroup`` (any letter case)."""
    for known in PERMISSIONS:
        if name.lower() == known.lower():
            return known
    raise bad_request("permission", f"{name!r} is not one of {', '.join(PERMISSIONS)}")


def integer(query: MultiMapping[str], name: str, low: int, high: int | None) -> int | None:
    """An optional integer query parameter within ``low``..``high``."""
    text = query.get(name)
    if text is None:
        return None
    if not re.fullmatch(r"[+-]?\d{1,10}", text.strip()):
        raise bad_request(name, f"{text!r} is not an integer")
    value = int(text)
    if value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise bad_request(name, f"{value} is out of range; it must be {limit}")
    return value


def excluded(query: MultiMapping[str]) -> set[str]:
    """``excluded`` connection ids, repeated or comma-separated (older clients)."""
    return {
        part.strip() for value in query.getall("excluded", []) for part in value.split(",") if part.strip()
    }


def groups_body(raw: bytes) -> tuple[list[str], str | None]:
    """The ``{"groups": [...], "filter": "..."}`` body of ``:addToGroups``/``:removeFromGroups``."""
    try:
        body = strict_json.loads(raw) if raw.strip() else None
    except ValueError:
        raise bad_request("body", "is not valid JSON") from None
    if not isinstance(body, Mapping):
        raise bad_request("body", 'must be a JSON object {"groups": [...], "filter": "..."}')
    names = body.get("groups")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad_request("groups", "must be a list of group names")
    checked = [group(n, "groups") for n in names]
    text = body.get("filter")
    if text is not None and not isinstance(text, str):
        raise bad_request("filter", "must be a string")
    return checked, text


async def message(request: web.Request) -> Message:
    """The body as a message, typed by its Content-Type."""
    if not request.headers.get("Content-Type", "").strip():
        raise bad_request("Content-Type", f"is required: one of {', '.join(CONTENT_TYPES)}")
    data_type = CONTENT_TYPES.get(request.content_type.lower())
    if data_type is None:
        raise bad_request(
            "Content-Type", f"{request.content_type!r} is not one of {', '.join(CONTENT_TYPES)}"
        )
    data = await request.read()
    if data_type != "binary":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise bad_request("body", "is not UTF-8 text") from None
        if data_type == "json":
            try:
                strict_json.loads(text)
            except ValueError:
                raise bad_request("body", "is not valid JSON (Content-Type is application/json)") from None
    return Message(data=data, data_type=data_type)


def continuation_token(last_id: str) -> str:
    """An opaque, URL-safe token for resuming a listing after ``last_id``."""
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def resume_after(token: str | None) -> str | None:
    """The connection id a continuation token resumes after."""
    if token is None:
        return None
    try:
        padded = (token + "=" * (-len(token) % 4)).encode()
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_request("continuationToken", "is not one this service issued") from None
