"""Client access tokens, as the service issues and checks them (HS256 JWTs)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class Identity:
    user_id: str | None
    roles: tuple[str, ...]
    groups: tuple[str, ...]


def issue(key: str, audience: str, user_id: str | None, roles: tuple[str, ...] = ()) -> str:
    claims: dict[str, object] = {"aud": audience, "exp": int(time.time()) + LIFETIME_SECONDS}
    if user_id:
        claims["sub"] = user_id
    if roles:
        claims["role"] = list(roles)
    return jwt.encode(claims, key, algorithm="HS256")


def verify(key: str, audience: str, token: str) -> Identity:
    """The token's identity; raises jwt.InvalidTokenError when it is not ours or expired."""
    claims = jwt.decode(token, key, algorithms=["HS256"], audience=audience)
    return Identity(
        user_id=claims.get("sub") or None,
        roles=tuple(_list(claims.get("role"))),
        groups=tuple(_list(claims.get("webpubsub.group"))),
    )


def _list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
