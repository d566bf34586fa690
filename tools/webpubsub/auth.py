"""How the REST API checks who is calling: a JWT signed with the access key, for this URL.

Microsoft's server SDKs sign each request with a fresh HS256 token whose
``aud`` is the full request URL, query string included: Python's
``azure-messaging-webpubsubservice`` uses the pipeline request's URL, Node's
``@azure/web-pubsub`` the request's ``url``, .NET's ``Azure.Messaging.WebPubSub``
``Uri.AbsoluteUri``. They escape that URL each in their own way, so the check
compares it decoded: scheme, loopback-insensitive host and port as
``tokens.same_url`` does, the path segment by segment, and the query as a
multiset of decoded name/value pairs. A token must carry ``exp``.

Errors say what is wrong with the token and never repeat it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import jwt

from tools.webpubsub.tokens import same_url

# Clock skew tolerated on exp/nbf/iat; client and service share a machine,
# but tokens are stamped in whole seconds.
LEEWAY_SECONDS = 5
# Requests already accepted, until their token's exp: a JWT check is a
# tenth of the service's work per message under load (the SDKs reuse a token
# for repeated calls to one URL). Bounded: the oldest entries go first.
ACCEPTED_CACHE_SIZE = 1024


class Unauthorized(Exception):
    """The request's credentials are missing or wrong; ``str()`` says why, without the token."""


class Authorizer:
    """``authorize`` with a bounded memory of the requests it accepted, each until its token expires."""

    def __init__(
        self,
        key: str,
        clock: Callable[[], float] = time.time,
        size: int = ACCEPTED_CACHE_SIZE,
        check: Callable[[str, str | None, str], dict[str, object]] | None = None,
    ) -> None:
        self._key = key
        self._check = check or authorize
        self._clock = clock
        self._size = size
        self._accepted: dict[tuple[str, str], float] = {}

    def __call__(self, authorization: str | None, url: str) -> None:
        """Accept the request to ``url`` or raise ``Unauthorized`` with a reason."""
        if authorization is not None:
            expires = self._accepted.get((authorization, url))
            if expires is not None and self._clock() < expires:
                return
        claims = self._check(self._key, authorization, url)
        assert authorization is not None  # authorize refused it otherwise
        exp = claims["exp"]
        if isinstance(exp, int | float):
            if len(self._accepted) >= self._size:
                del self._accepted[next(iter(self._accepted))]
            self._accepted[(authorization, url)] = float(exp)


def authorize(key: str, authorization: str | None, url: str) -> dict[str, object]:
    """Accept the request to ``url`` and return the token's claims, or raise ``Unauthorized`` saying why."""
    if not authorization:
        raise Unauthorized(
            "the request has no Authorization header; send 'Bearer <token signed with the access key>'"
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header is not a bearer token")
    claims = _decode(key, token.strip())
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(a, str) and same_request_url(a, url) for a in audiences):
        raise Unauthorized("the token's audience (aud) is not this request's URL")
    return claims


def _decode(key: str, token: str) -> dict[str, object]:
    try:
        claims: dict[str, object] = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            leeway=LEEWAY_SECONDS,
            options={"verify_aud": False, "require": ["exp", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except jwt.ImmatureSignatureError:
        raise Unauthorized("the token is not valid yet (nbf or iat is in the future)") from None
    except jwt.InvalidSignatureError:
        raise Unauthorized("the token's signature does not match the access key") from None
    except jwt.InvalidAlgorithmError:
        raise Unauthorized("the token is not signed with HS256") from None
    except jwt.MissingRequiredClaimError as err:
        raise Unauthorized(f"the token has no '{err.claim}' claim") from None
    except jwt.DecodeError:
        raise Unauthorized("the token is not a well-formed JWT") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("the token is not valid") from None
    return claims


def same_request_url(audience: str, url: str) -> bool:
    """Whether a token's ``aud`` names ``url``, however each side escapes it."""
    a, b = urlsplit(audience), urlsplit(url)
    if not same_url(_without_query(a.scheme, a.netloc, a.path), _without_query(b.scheme, b.netloc, b.path)):
        return False
    return sorted(parse_qsl(a.query, keep_blank_values=True)) == sorted(
        parse_qsl(b.query, keep_blank_values=True)
    )


def _without_query(scheme: str, netloc: str, path: str) -> str:
    # Decode each segment so '%3A' and ':' (or '%27' and "'") compare equal;
    # an encoded '/' inside a segment stays distinct from a separator.
    segments = [unquote(segment).replace("/", "%2F") for segment in path.split("/")]
    return urlunsplit((scheme, netloc, "/".join(segments), "", ""))
