"""Tokens the service issues and checks: HS256 JWTs signed with the access key.

Client tokens carry ``aud`` = ``{endpoint}/client/hubs/{hub}``; REST calls carry
``aud`` = the request URL. The SDKs write the endpoint the way the connection
string spells it, so the host part is compared as a loopback name rather than
letter for letter: ``localhost``, ``127.0.0.1`` and ``[::1]`` are one host.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import jwt

DEFAULT_LIFETIME_SECONDS = 3600
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class Identity:
    """Who a client token names, and what it grants."""

    user_id: str | None
    roles: tuple[str, ...]
    groups: tuple[str, ...]


def client_audience(endpoint: str, hub: str) -> str:
    return f"{endpoint.rstrip('/')}/client/hubs/{hub}"


def issue_client_token(
    key: str,
    endpoint: str,
    hub: str,
    user_id: str | None,
    roles: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
) -> str:
    """A client access token, shaped as the service and the SDKs make it."""
    now = int(time.time())
    claims: dict[str, object] = {
        "aud": client_audience(endpoint, hub),
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    if user_id:
        claims["sub"] = user_id
    if roles:
        claims["role"] = list(roles)
    if groups:
        claims["webpubsub.group"] = list(groups)
    return jwt.encode(claims, key, algorithm="HS256")


def verify_client_token(key: str, endpoint: str, hub: str, token: str) -> Identity:
    """The identity a client token carries; raises jwt.InvalidTokenError when it is not for this hub."""
    # A token without exp would be good forever: refused, as the REST API refuses one.
    claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": False, "require": ["exp"]})
    if not same_url(str(claims.get("aud", "")), client_audience(endpoint, hub)):
        raise jwt.InvalidAudienceError("the token is for another hub or service")
    return Identity(
        user_id=claims.get("sub") or None,
        roles=tuple(_strings(claims.get("role"))),
        groups=tuple(_strings(claims.get("webpubsub.group"))),
    )


def same_url(a: str, b: str) -> bool:
    """Whether two URLs name the same resource, loopback host names being one host.

    Scheme, host and path compare case-insensitively (ws and http are one
    scheme, as wss and https are); the query compares exactly.
    """
    x, y = urlsplit(a), urlsplit(b)
    return (
        _scheme(x.scheme) == _scheme(y.scheme)
        and _host(x.hostname) == _host(y.hostname)
        and _port(x) == _port(y)
        and x.path.rstrip("/").lower() == y.path.rstrip("/").lower()
        and x.query == y.query
    )


def _scheme(scheme: str) -> str:
    return {"ws": "http", "wss": "https"}.get(scheme.lower(), scheme.lower())


def _host(host: str | None) -> str:
    name = (host or "").lower()
    return "localhost" if name in LOOPBACK else name


def _port(url: SplitResult) -> int | None:
    try:
        port = url.port
    except ValueError:
        return None
    return port if port is not None else {"http": 80, "https": 443}.get(_scheme(url.scheme))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
