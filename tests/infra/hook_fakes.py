"""Fakes for the postdeploy hook: Azure Resource Manager, the live app, azd and a clock.

Each fake answers by what is asked (method and path), records every call, and
by default plays a healthy deployment: the keys exist, the service has a host
name, the hub is missing, both webhooks answer the validation request, and
the app refuses a forged identity. A test overrides only the answers it is
about.
"""

from __future__ import annotations

import importlib
import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Union
from urllib.parse import parse_qs, quote, urlsplit

from tests.infra.conftest import INFRA

KEY = "sEcReT-kEy/with+chars=="
HTTP_KEY = "hTtP-kEy/9+=="
PRESENCE_KEY = "pReSeNcE-kEy+1=="
ARM_TOKEN = "arm-token-never-shown"
# A token negotiate must never hand out, and the hook must never print.
LEAKED_TOKEN = "eyJ-leaked-access-token"
SECRETS = (KEY, HTTP_KEY, PRESENCE_KEY, ARM_TOKEN, LEAKED_TOKEN) + tuple(
    quote(key, safe="") for key in (KEY, HTTP_KEY, PRESENCE_KEY)
)

ENV = {
    "AZURE_SUBSCRIPTION_ID": "sub",
    "AZURE_RESOURCE_GROUP": "rg",
    "FUNCTION_APP_NAME": "func-abc",
    "FUNCTION_APP_HOSTNAME": "func-abc.azurewebsites.net",
    "WEBPUBSUB_NAME": "wps-abc",
    "WEBPUBSUB_HUB": "chat",
}
ORIGIN = "wps-abc.webpubsub.azure.com"
APP_HOST = ENV["FUNCTION_APP_HOSTNAME"]
GROUP = "/subscriptions/sub/resourceGroups/rg/providers"
SITE = f"{GROUP}/Microsoft.Web/sites/func-abc"
WEBPUBSUB = f"{GROUP}/Microsoft.SignalRService/webPubSub/wps-abc"
HUB = f"{WEBPUBSUB}/hubs/chat"
HOST_KEYS = f"{SITE}/host/default/listkeys"
WEBHOOK_KEYS = f"{SITE}/functions/webhook/listkeys"
PRESENCE_KEYS = f"{SITE}/functions/presence/listkeys"
STOP = f"{SITE}/stop"

EXTENSION_URL = f"https://{APP_HOST}/runtime/webhooks/webpubsub?code={quote(KEY, safe='')}"
HTTP_URL = f"https://{APP_HOST}/api/webpubsub?code={quote(HTTP_KEY, safe='')}"

# Every hook module lives in infra/hooks; the `hook` fixture puts it on sys.path.
HOOKS = INFRA / "hooks"


def hook_module(hook: ModuleType, name: str) -> ModuleType:
    """A sibling module of the hook (the `hook` fixture has made them importable)."""
    assert Path(str(hook.__file__)).parent == HOOKS
    return importlib.import_module(name)


ArmAnswer = tuple[int, Any]


class FakeArm:
    """Answers the hook's ARM calls from scripted replies, recording each call.

    A route's replies are given in order; the last one repeats.
    """

    def __init__(self, replies: Mapping[tuple[str, str], list[ArmAnswer]]) -> None:
        self.replies = {route: list(answers) for route, answers in replies.items()}
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, Any]:
        assert headers["Authorization"] == f"Bearer {ARM_TOKEN}"
        path, _, query = url.removeprefix("https://management.azure.com").partition("?")
        assert query.startswith("api-version=")
        self.calls.append((method, path, json.loads(body) if body else None))
        answers = self.replies[(method, path)]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def count(self, method: str, path: str | None = None) -> int:
        return sum(1 for call in self.calls if call[0] == method and path in (None, call[1]))


def keys(present: bool) -> ArmAnswer:
    system = {"webpubsub_extension": KEY} if present else {}
    return 200, {"masterKey": "m", "functionKeys": {"default": "f"}, "systemKeys": system}


def settled(hook: ModuleType, url: str = EXTENSION_URL) -> ArmAnswer:
    body = hook.hub_body(url)
    body["properties"]["provisioningState"] = "Succeeded"
    return 200, body


def healthy_arm(hook: ModuleType, **overrides: list[ArmAnswer]) -> FakeArm:
    """A deployment whose keys exist and whose hub is missing; overrides by route name."""
    routes: dict[str, tuple[tuple[str, str], list[ArmAnswer]]] = {
        "host_keys": (("POST", HOST_KEYS), [keys(True)]),
        "webhook_keys": (("POST", WEBHOOK_KEYS), [(200, {"default": HTTP_KEY})]),
        "presence_keys": (("POST", PRESENCE_KEYS), [(200, {"default": PRESENCE_KEY})]),
        "webpubsub": (("GET", WEBPUBSUB), [(200, {"properties": {"hostName": ORIGIN}})]),
        "hub_get": (("GET", HUB), [(404, {"error": {"code": "NotFound"}})]),
        "hub_put": (("PUT", HUB), [settled(hook)]),
        "stop": (("POST", STOP), [(200, None)]),
    }
    unknown = set(overrides) - set(routes)
    assert not unknown, unknown
    return FakeArm({route: overrides.get(name, answers) for name, (route, answers) in routes.items()})


class Reply:
    """Builds the hook's Reply type for the fake site (the hook's own class)."""

    def __init__(self, hook: ModuleType) -> None:
        self._reply = hook_module(hook, "azure_rest").Reply

    def __call__(self, status: int, body: Any = None, **headers: str) -> Any:
        raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        return self._reply(status, {k.lower().replace("_", "-"): v for k, v in headers.items()}, raw)


SiteAnswer = Union[Any, Exception, Callable[[Mapping[str, str]], Any]]


class FakeSite:
    """The live app: answers by (method, path), checks each keyed route's ``code``.

    A wrong or missing key gets 401, as the Functions host answers. An answer
    may be a Reply, an exception to raise (no answer), or a function of the
    request headers. A route's answers are given in order; the last repeats.
    """

    KEYED = {"/runtime/webhooks/webpubsub": KEY, "/api/webpubsub": HTTP_KEY, "/api/presence": PRESENCE_KEY}

    def __init__(self, hook: ModuleType, answers: Mapping[tuple[str, str], list[SiteAnswer]]) -> None:
        self._reply = Reply(hook)
        self.answers = {route: list(found) for route, found in answers.items()}
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Any:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("https", APP_HOST), url
        self.calls.append((method, url, dict(headers)))
        wanted = self.KEYED.get(parts.path)
        if wanted is not None and parse_qs(parts.query).get("code") != [wanted]:
            return self._reply(401)
        found = self.answers[(method, parts.path)]
        answer = found.pop(0) if len(found) > 1 else found[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(headers) if callable(answer) else answer

    def count(self, method: str, path: str) -> int:
        return sum(1 for call in self.calls if call[0] == method and urlsplit(call[1]).path == path)


def extension_like(hook: ModuleType) -> Callable[[Mapping[str, str]], Any]:
    """Answers the validation request as the extension does when it knows the service's host."""
    reply = Reply(hook)

    def answer(headers: Mapping[str, str]) -> Any:
        origin = headers.get("WebHook-Request-Origin")
        return reply(200, WebHook_Allowed_Origin=origin) if origin == ORIGIN else reply(400)

    return answer


def healthy_site(hook: ModuleType, **overrides: list[SiteAnswer]) -> FakeSite:
    """An app where both webhooks answer and everything is safe; overrides by route name."""
    reply = Reply(hook)
    routes: dict[str, tuple[tuple[str, str], list[SiteAnswer]]] = {
        "extension": (("OPTIONS", "/runtime/webhooks/webpubsub"), [extension_like(hook)]),
        "http": (("OPTIONS", "/api/webpubsub"), [extension_like(hook)]),
        "negotiate": (
            ("POST", "/api/negotiate"),
            [reply(500, {"error": {"code": "authentication_not_configured", "message": "off"}})],
        ),
        "chat": (
            ("GET", "/api/chat"),
            [reply(302, Location="/.auth/login/aad?post_login_redirect_uri=/api/chat")],
        ),
        "presence": (("GET", "/api/presence"), [reply(200, {"user": "field-check", "connected": False})]),
    }
    unknown = set(overrides) - set(routes)
    assert not unknown, unknown
    return FakeSite(hook, {route: overrides.get(name, answers) for name, (route, answers) in routes.items()})


class FakeClock:
    """A monotonic clock that moves only when slept on (or when a test moves it)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def azd_ok(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
    assert command[:3] == ["azd", "auth", "token"]
    assert command[-2:] == ["--scope", "https://management.azure.com/.default"]
    return subprocess.CompletedProcess(command, 0, stdout=json.dumps({"token": ARM_TOKEN, "expiresOn": "x"}))


def run_hook(
    hook: ModuleType,
    arm: Callable[..., Any],
    site: Callable[..., Any],
    env: Mapping[str, str] = ENV,
    clock: FakeClock | None = None,
    run: Callable[..., Any] = azd_ok,
) -> int:
    """The hook's main with every dependency faked."""
    clock = clock or FakeClock()
    return int(hook.main(env, arm, run, clock.sleep, site, clock))


def assert_no_secret(*texts: str) -> None:
    """No key, token or encoded key in any of the texts."""
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, "a secret was shown"
