"""Checks in the field: the live app answers as a safe, working chat should.

Run after the hub is set, each retried for at most two minutes while the app
starts (``bounded_retry``), first the one that guards against an open chat:

- negotiate, sent a forged ``x-ms-client-principal-name`` and no session,
  must hand out no token. If it does, once is enough: the hook stops the
  function app through ARM, so that no more tokens go out, and fails;
- the chat page answers (200, or Easy Auth's sign-in redirect or 401);
- ``/api/presence`` with its function key answers 200: the app's identity
  reaches Web PubSub;
- the chosen event handler answers the service's validation request.

A failure names its fix. Keys and tokens never reach a line: URLs are shown
redacted and negotiate's body is only looked into, never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from app_keys import SITES_API_VERSION
from azure_rest import Arm, Exchange, HookError, Reply
from bounded_retry import Verdict, passed, retry, until_settled
from event_path import Choice, Probing, validation
from hub_target import Target

FIELD_CHECK_SECONDS = 120.0
FIELD_CHECK_WAIT_SECONDS = 10.0

CHAT_PATH = "/api/chat"
NEGOTIATE_PATH = "/api/negotiate"
PRESENCE_PATH = "/api/presence"
PRESENCE_FUNCTION = "presence"
PRINCIPAL_HEADER = "x-ms-client-principal-name"
FORGED_USER = "field-check-forged"
# Nobody is called that: the answer is {"connected": false}, from the service.
PRESENCE_USER = "field-check"
SIGN_IN_PATH = "/.auth/login"
NOT_CONFIGURED = "authentication_not_configured"

_RERUN = "then run: azd hooks run postdeploy"

# The checks' names, in the order they run (the table in docs/deploying.md uses them).
CHECK_NAMES = (
    "negotiate refuses a forged identity",
    "chat page",
    "presence reaches Web PubSub",
    "event handler answers the validation request",
)


class TokenLeak(Exception):
    """Negotiate gave a token to a forged identity; the detail never holds the token."""


@dataclass(frozen=True)
class FieldCheck:
    """One check: its name, one attempt, and what to do when it fails."""

    name: str
    attempt: Callable[[], Verdict]
    fix: str


def _error_code(reply: Reply) -> str:
    body = reply.json()
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return f" {code}" if isinstance(code, str) and code.isidentifier() else ""


def _ask(site: Exchange, method: str, url: str, headers: dict[str, str]) -> Reply | Verdict:
    try:
        return site(method, url, headers, b"" if method == "POST" else None)
    except HookError as error:
        return retry(str(error))


def chat_page(site: Exchange, app_host: str) -> Verdict:
    """The page answers 200, or Easy Auth sends the caller to sign in."""
    reply = _ask(site, "GET", f"https://{app_host}{CHAT_PATH}", {})
    if isinstance(reply, Verdict):
        return reply
    if reply.status == 200:
        return passed("HTTP 200")
    if reply.status == 302 and SIGN_IN_PATH in reply.header("Location"):
        return passed("HTTP 302 to sign in")
    if reply.status == 401:
        return passed("HTTP 401, sign-in required")
    return retry(f"HTTP {reply.status}{_error_code(reply)}")


def _holds_token(body: Any) -> bool:
    return isinstance(body, dict) and any(body.get(name) for name in ("accessToken", "url"))


def negotiate_refuses_forged_identity(site: Exchange, app_host: str) -> Verdict:
    """No token for a forged principal header; raises TokenLeak when one comes back."""
    headers = {PRINCIPAL_HEADER: FORGED_USER}
    reply = _ask(site, "POST", f"https://{app_host}{NEGOTIATE_PATH}", headers)
    if isinstance(reply, Verdict):
        return reply
    body = reply.json()
    if (reply.status == 200 and _holds_token(body)) or (isinstance(body, dict) and body.get("accessToken")):
        raise TokenLeak(f"{NEGOTIATE_PATH} answered HTTP {reply.status} with a Web PubSub token")
    if reply.status in (401, 403, 302):
        return passed(f"HTTP {reply.status}, no token")
    code = _error_code(reply)
    if reply.status == 500 and code.strip() == NOT_CONFIGURED:
        return passed(f"HTTP 500 {NOT_CONFIGURED}, no token")
    return retry(f"HTTP {reply.status}{code}")


def presence_reaches_webpubsub(site: Exchange, app_host: str, key: str) -> Verdict:
    """The presence route, which asks the service with the app's identity, answers 200."""
    query = urlencode({"user": PRESENCE_USER, "code": key}, quote_via=quote)
    reply = _ask(site, "GET", f"https://{app_host}{PRESENCE_PATH}?{query}", {})
    if isinstance(reply, Verdict):
        return reply
    body = reply.json()
    if reply.status == 200 and isinstance(body, dict) and isinstance(body.get("connected"), bool):
        return passed("HTTP 200")
    return retry(f"HTTP {reply.status}{_error_code(reply)}")


def webhook_answers(site: Exchange, url: str, origin: str) -> Verdict:
    """The chosen handler answers the validation request; any refusal may yet pass while it starts."""
    verdict = validation(site, url, origin)
    return verdict if verdict.passed else retry(verdict.detail)


def stop_app(arm: Arm, target: Target, detail: str) -> HookError:
    """Stop the function app after a token leak; the error says loudly what happened and what to do."""
    try:
        status, _ = arm.call("POST", f"{target.site_path}/stop", SITES_API_VERSION)
    except HookError:  # ARM gave no answer: the app may well still be running
        status = 0
    why = (
        f"{detail} for a forged {PRINCIPAL_HEADER} header with no signed-in session: "
        "anyone could chat as anyone."
    )
    turn_on = (
        "turn on App Service Authentication (azd env set AUTH_CLIENT_ID <client id>, then azd provision; "
        "see docs/deploying.md, Who the user is)"
    )
    start = f"az functionapp start -g {target.resource_group} -n {target.app_name}, or Start in the portal"
    if status in (200, 204):
        return HookError(
            f"STOPPED the function app {target.app_name}. {why}\n"
            f"  Fix: {turn_on}; then start the app ({start}) and run: azd hooks run postdeploy"
        )
    failed = f"HTTP {status}" if status else "no answer from ARM"
    return HookError(
        f"the function app {target.app_name} is STILL RUNNING and open: stopping it failed "
        f"({failed}). {why}\n"
        f"  Stop it now (az functionapp stop -g {target.resource_group} -n {target.app_name}, or Stop "
        f"in the portal), then {turn_on}"
    )


@dataclass(frozen=True)
class FieldRun:
    """What the checks need: the app, its ARM handle, the chosen path and the probing tools."""

    arm: Arm
    target: Target
    choice: Choice
    origin: str
    probing: Probing


def run_field_checks(run: FieldRun, presence_key: Callable[[], str], say: Callable[[str], None]) -> None:
    """Run every check, printing each result; raises HookError naming every failure and its fix."""
    site, host = run.probing.site, run.target.app_host
    keys: list[str] = []

    def presence_attempt() -> Verdict:
        if not keys:  # read once, when the earlier checks have given the host time to index it
            keys.append(presence_key())
        return presence_reaches_webpubsub(site, host, keys[0])

    checks = [
        FieldCheck(
            CHECK_NAMES[0],
            lambda: negotiate_refuses_forged_identity(site, host),
            "expected 401, 403, 302 or 500 authentication_not_configured; check the deploy and the app's "
            f"logs, {_RERUN}",
        ),
        FieldCheck(
            CHECK_NAMES[1],
            lambda: chat_page(site, host),
            "check that the deploy succeeded (a 404 means the functions are not indexed) and the app's "
            f"logs, {_RERUN}",
        ),
        FieldCheck(
            CHECK_NAMES[2],
            presence_attempt,
            "the app's identity needs the Web PubSub Service Owner role (new role assignments take minutes "
            f"to apply) and WebPubSubConnectionString__serviceUri must name {run.origin}; {_RERUN}",
        ),
        FieldCheck(
            CHECK_NAMES[3],
            lambda: webhook_answers(site, run.choice.url, run.origin),
            f"events will not arrive (see docs/deploying.md, When events do not arrive); {_RERUN}",
        ),
    ]
    failures = []
    for check in checks:
        try:
            outcome = until_settled(
                check.attempt,
                run.probing.clock,
                run.probing.sleep,
                FIELD_CHECK_SECONDS,
                FIELD_CHECK_WAIT_SECONDS,
            )
        except TokenLeak as leak:
            raise stop_app(run.arm, run.target, str(leak)) from None
        except HookError as error:
            failures.append(f"{check.name}: {error}")
            continue
        verdict = outcome.verdict
        if verdict.passed:
            say(f"field check {check.name}: ok ({verdict.detail})")
        else:
            failures.append(
                f"{check.name}: {verdict.detail} after {outcome.attempts} attempts. Fix: {check.fix}"
            )
    if failures:
        raise HookError("field checks failed:\n  " + "\n  ".join(failures))
