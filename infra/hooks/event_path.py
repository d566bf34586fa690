"""Which URL the hub sends events to: the extension's webhook or the HTTP route.

Both serve the same events. The extension's webhook
(``/runtime/webhooks/webpubsub``, guarded by its system key) is the default,
but on Flex Consumption it has been reported to answer 404
(Azure/azure-functions-host#11493), while an HTTP trigger with the
``webPubSubContext`` binding (``/api/webpubsub``, guarded by its function key)
is routed like any HTTP function. So the hook asks each, as the service does
before it accepts a handler, with the CloudEvents abuse-protection request:
``OPTIONS`` with ``WebHook-Request-Origin: <the service's host>``. The
extension answers 200 with ``WebHook-Allowed-Origin`` naming that host, or
``*`` when it knows no host, and 400 otherwise
(Azure/azure-sdk-for-net, sdk/webpubsub/Microsoft.Azure.WebJobs.Extensions.WebPubSub/
src/Trigger/WebPubSubTriggerDispatcher.cs, ``RespondToServiceAbuseCheck``).

``WEBPUBSUB_EVENT_PATH`` (an azd environment value) picks: ``auto`` (the
default) takes the extension's webhook when it answers and the HTTP route
otherwise; ``extension`` or ``http`` forces one, still probed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from app_keys import SYSTEM_KEY_NAME, KeyNotYet, function_key, system_key
from azure_rest import Arm, Exchange, HookError, redact
from bounded_retry import Verdict, final, passed, retry, until_settled
from hub_target import Target

MODE_SETTING = "WEBPUBSUB_EVENT_PATH"
AUTO, EXTENSION, HTTP = "auto", "extension", "http"
MODES = (AUTO, EXTENSION, HTTP)

# Served by the Web PubSub extension itself, not by a Python function.
WEBHOOK_PATH = "/runtime/webhooks/webpubsub"
# The app's HTTP trigger with the webPubSubContext binding (blueprints/webhook.py).
HTTP_WEBHOOK_PATH = "/api/webpubsub"
HTTP_WEBHOOK_FUNCTION = "webhook"

ORIGIN_HEADER = "WebHook-Request-Origin"
ALLOWED_HEADER = "WebHook-Allowed-Origin"
WEBPUBSUB_API_VERSION = "2024-03-01"

# A webhook that is starting may answer 5xx or not at all: ask again for at
# most two minutes. Any other refusal is an answer.
PROBE_SECONDS = 120.0
PROBE_WAIT_SECONDS = 10.0

_RERUN = "then run: azd hooks run postdeploy"


@dataclass(frozen=True)
class Choice:
    """The event path taken, its URL (with its key) and why."""

    path: str
    url: str
    reason: str


@dataclass(frozen=True)
class Probing:
    """What the probes need: the site, the clock and the sleep."""

    site: Exchange
    clock: Callable[[], float]
    sleep: Callable[[float], None]


def event_path_mode(env: Mapping[str, str]) -> str:
    """The forced path, or ``auto``; a bad value names the allowed ones."""
    mode = env.get(MODE_SETTING, "").strip().lower() or AUTO
    if mode not in MODES:
        raise HookError(
            f"{MODE_SETTING} must be one of {', '.join(MODES)}, not {mode[:40]!r} "
            f"(azd env set {MODE_SETTING} auto)"
        )
    return mode


def handler_url(app_host: str, key: str) -> str:
    """The extension's webhook URL with its system key."""
    return f"https://{app_host}{WEBHOOK_PATH}?code={quote(key, safe='')}"


def http_handler_url(app_host: str, key: str) -> str:
    """The HTTP route's URL with the webhook function's key."""
    return f"https://{app_host}{HTTP_WEBHOOK_PATH}?code={quote(key, safe='')}"


def webpubsub_host(arm: Arm, target: Target) -> str:
    """The service's host name, the origin it names in its validation request."""
    status, body = arm.call("GET", target.webpubsub_path, WEBPUBSUB_API_VERSION)
    host = ((body.get("properties") or {}).get("hostName") if isinstance(body, dict) else None) or ""
    if status != 200 or not isinstance(host, str) or not host:
        raise HookError(f"reading Web PubSub {target.webpubsub_name} gave no host name (HTTP {status})")
    return host


def validation(site: Exchange, url: str, origin: str) -> Verdict:
    """Ask ``url`` the service's abuse-protection question; passed when it allows ``origin``."""
    try:
        reply = site("OPTIONS", url, {ORIGIN_HEADER: origin}, None)
    except HookError as error:
        return retry(str(error))
    allowed = [value.strip() for value in reply.header(ALLOWED_HEADER).split(",") if value.strip()]
    if reply.status == 200 and (origin in allowed or "*" in allowed):
        return passed(f"HTTP 200, {ALLOWED_HEADER}: {', '.join(allowed)}")
    if reply.status == 200:
        return final(f"HTTP 200 without {ALLOWED_HEADER} naming {origin}")
    if reply.status >= 500 or reply.status == 429:
        return retry(f"HTTP {reply.status}")
    return final(f"HTTP {reply.status}")


def _probe(probing: Probing, url: str, origin: str) -> Verdict:
    outcome = until_settled(
        lambda: validation(probing.site, url, origin),
        probing.clock,
        probing.sleep,
        PROBE_SECONDS,
        PROBE_WAIT_SECONDS,
    )
    return outcome.verdict


def choose_event_path(mode: str, arm: Arm, target: Target, origin: str, probing: Probing) -> Choice:
    """Probe the paths ``mode`` allows and take the first that answers; names the fix otherwise."""
    forced = f"forced by {MODE_SETTING}={mode}; " if mode != AUTO else ""
    ext: Verdict | None = None
    if mode != HTTP:
        try:
            ext_url = handler_url(target.app_host, system_key(arm, target, probing.sleep))
        except KeyNotYet:
            if mode == EXTENSION:
                raise
            ext_url, ext = "", final(f"no {SYSTEM_KEY_NAME} system key after waiting")
        else:
            ext = _probe(probing, ext_url, origin)
        if ext.passed:
            return Choice(EXTENSION, ext_url, f"{forced}it answered the validation request ({ext.detail})")
        if mode == EXTENSION:
            raise HookError(
                redact(
                    f"the extension webhook {ext_url} did not answer the validation request: {ext.detail}. "
                    f"Fix: on Flex Consumption use the HTTP route "
                    f"(azd env set {MODE_SETTING} http, or auto), {_RERUN}"
                )
            )
    http_key = function_key(arm, target, HTTP_WEBHOOK_FUNCTION, probing.sleep)
    http_url = http_handler_url(target.app_host, http_key)
    http = _probe(probing, http_url, origin)
    if http.passed:
        why = forced if ext is None else f"the extension webhook did not answer ({ext.detail}); "
        return Choice(HTTP, http_url, f"{why}the HTTP route answered the validation request ({http.detail})")
    if mode == HTTP:
        raise HookError(
            redact(
                f"the HTTP route {http_url} did not answer the validation request: {http.detail}. "
                f"Fix: check that the deploy holds the {HTTP_WEBHOOK_FUNCTION} function, or "
                f"azd env set {MODE_SETTING} auto; {_RERUN}"
            )
        )
    assert ext is not None  # auto probed the extension first
    raise HookError(
        f"neither event path answered the validation request (extension webhook: {ext.detail}; "
        f"HTTP route: {http.detail}). Fix: check that the deploy succeeded and that the app's "
        f"WebPubSubConnectionString__serviceUri names {origin} (a 400 means the app does not accept "
        f"that service); {_RERUN}"
    )
