"""Checks in the field, against a fake live app: each passes on the answers a
safe, working app gives, fails after at most two minutes of asking again
with its fix named, and a token for a forged identity stops the app."""

from __future__ import annotations

from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.infra.conftest import REPO
from tests.infra.hook_fakes import (
    LEAKED_TOKEN,
    PRESENCE_KEY,
    PRESENCE_KEYS,
    STOP,
    FakeClock,
    Reply,
    assert_no_secret,
    healthy_arm,
    healthy_site,
    hook_module,
    run_hook,
)

NEGOTIATE = ("POST", "/api/negotiate")
CHAT = ("GET", "/api/chat")
PRESENCE = ("GET", "/api/presence")
TOKEN_BODY = {
    "url": f"wss://wps-abc.webpubsub.azure.com/client/hubs/chat?access_token={LEAKED_TOKEN}",
    "baseUrl": "wss://wps-abc.webpubsub.azure.com/client/hubs/chat",
    "accessToken": LEAKED_TOKEN,
}
# Asked at 0, 10, ..., 120 s.
ATTEMPTS_IN_TWO_MINUTES = 13


def ok_line(out: str, name: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith(f"field check {name}:")]
    return line


@pytest.mark.parametrize(
    ("answer", "seen"),
    [
        ((200, None, {}), "HTTP 200"),
        (
            (302, None, {"Location": "https://func-abc.azurewebsites.net/.auth/login/aad?x=1"}),
            "HTTP 302 to sign in",
        ),
        ((401, None, {}), "HTTP 401, sign-in required"),
    ],
)
def test_the_chat_page_passes_when_served_or_guarded_by_sign_in(
    hook: ModuleType, answer: tuple[int, Any, dict[str, str]], seen: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, body, headers = answer
    site = healthy_site(hook, chat=[Reply(hook)(status, body, **headers)])
    assert run_hook(hook, healthy_arm(hook), site) == 0
    assert ok_line(capsys.readouterr().out, "chat page") == f"field check chat page: ok ({seen})"
    assert site.count(*CHAT) == 1


@pytest.mark.parametrize(
    ("status", "body", "seen"),
    [
        (401, None, "HTTP 401, no token"),
        (403, {"error": {"code": "forbidden"}}, "HTTP 403, no token"),
        (302, None, "HTTP 302, no token"),
        (
            500,
            {"error": {"code": "authentication_not_configured"}},
            "HTTP 500 authentication_not_configured, no token",
        ),
    ],
)
def test_negotiate_passes_when_a_forged_identity_gets_no_token(
    hook: ModuleType, status: int, body: Any, seen: str, capsys: pytest.CaptureFixture[str]
) -> None:
    site = healthy_site(hook, negotiate=[Reply(hook)(status, body)])
    assert run_hook(hook, healthy_arm(hook), site) == 0
    line = ok_line(capsys.readouterr().out, "negotiate refuses a forged identity")
    assert line == f"field check negotiate refuses a forged identity: ok ({seen})"
    ((_, _, headers),) = [call for call in site.calls if call[0] == "POST"]
    assert headers == {"x-ms-client-principal-name": "field-check-forged"}


def test_presence_is_asked_with_its_own_function_key(hook: ModuleType) -> None:
    arm, site = healthy_arm(hook), healthy_site(hook)
    assert run_hook(hook, arm, site) == 0
    ((_, url, _),) = [call for call in site.calls if call[0] == "GET" and "/api/presence" in call[1]]
    assert (
        url == "https://func-abc.azurewebsites.net/api/presence?user=field-check&code=pReSeNcE-kEy%2B1%3D%3D"
    )
    assert arm.count("POST", PRESENCE_KEYS) == 1


def test_a_check_that_passes_once_the_app_has_started_is_asked_again_until_then(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = Reply(hook)
    site = healthy_site(hook, chat=[reply(503), reply(404), reply(200)])
    clock = FakeClock()
    assert run_hook(hook, healthy_arm(hook), site, clock=clock) == 0
    assert site.count(*CHAT) == 3
    assert clock.sleeps == [10.0, 10.0]
    assert ok_line(capsys.readouterr().out, "chat page") == "field check chat page: ok (HTTP 200)"


FAILING = [
    (
        "chat",
        CHAT,
        (404, None),
        "chat page: HTTP 404 after 13 attempts. Fix: check that the deploy succeeded (a 404 means the "
        "functions are not indexed) and the app's logs, then run: azd hooks run postdeploy",
    ),
    (
        "chat",
        CHAT,
        (302, None, {"Location": "https://elsewhere.example/"}),
        "chat page: HTTP 302 after 13 attempts.",
    ),
    (
        "negotiate",
        NEGOTIATE,
        (502, {"error": {"code": "bad_connection_info"}}),
        "negotiate refuses a forged identity: HTTP 502 bad_connection_info after 13 attempts. Fix: expected "
        "401, 403, 302 or 500 authentication_not_configured; check the deploy and the app's logs, "
        "then run: azd hooks run postdeploy",
    ),
    (
        "negotiate",
        NEGOTIATE,
        (500, {"error": {"code": "not_configured"}}),
        "negotiate refuses a forged identity: HTTP 500 not_configured after 13 attempts.",
    ),
    (
        "presence",
        PRESENCE,
        (502, {"error": {"code": "service_error", "message": "Forbidden"}}),
        "presence reaches Web PubSub: HTTP 502 service_error after 13 attempts. Fix: the app's identity "
        "needs the Web PubSub Service Owner role (new role assignments take minutes to apply) and "
        "WebPubSubConnectionString__serviceUri must name wps-abc.webpubsub.azure.com; "
        "then run: azd hooks run postdeploy",
    ),
    (
        "presence",
        PRESENCE,
        (200, {"user": "field-check"}),
        "presence reaches Web PubSub: HTTP 200 after 13 attempts.",
    ),
]


@pytest.mark.parametrize(("route", "where", "answer", "message"), FAILING)
def test_a_check_that_keeps_failing_fails_the_hook_after_two_minutes_naming_the_fix(
    hook: ModuleType,
    route: str,
    where: tuple[str, str],
    answer: tuple[Any, ...],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, body, *headers = answer
    site = healthy_site(hook, **{route: [Reply(hook)(status, body, **(headers[0] if headers else {}))]})
    clock = FakeClock()
    arm = healthy_arm(hook)
    assert run_hook(hook, arm, site, clock=clock) == 1
    out = capsys.readouterr()
    assert out.err.startswith("webpubsub hub: field checks failed:\n  ")
    (failure,) = out.err.splitlines()[1:]
    assert failure.strip().startswith(message)
    assert site.count(*where) == ATTEMPTS_IN_TWO_MINUTES
    assert clock.sleeps == [10.0] * 12
    # The other checks still ran and passed; the app was not stopped.
    assert len([line for line in out.out.splitlines() if line.startswith("field check")]) == 3
    assert arm.count("POST", STOP) == 0
    assert "Chat:" not in out.out
    assert_no_secret(out.out, out.err)


def test_a_webhook_that_stops_answering_after_the_choice_fails_its_field_check(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = Reply(hook)
    ok = reply(200, WebHook_Allowed_Origin="wps-abc.webpubsub.azure.com")
    site = healthy_site(hook, extension=[ok, reply(404)])
    clock = FakeClock()
    assert run_hook(hook, healthy_arm(hook), site, clock=clock) == 1
    err = capsys.readouterr().err
    assert (
        "event handler answers the validation request: HTTP 404 after 13 attempts. Fix: events will " in err
    )
    assert "(see docs/deploying.md, When events do not arrive)" in err
    assert site.count("OPTIONS", "/runtime/webhooks/webpubsub") == 1 + ATTEMPTS_IN_TWO_MINUTES


def test_every_failing_check_is_reported_in_one_run(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = Reply(hook)
    site = healthy_site(hook, chat=[reply(404)], presence=[reply(502)])
    clock = FakeClock()
    assert run_hook(hook, healthy_arm(hook), site, clock=clock) == 1
    failures = capsys.readouterr().err.splitlines()[1:]
    assert [line.split(":")[0].strip() for line in failures] == ["chat page", "presence reaches Web PubSub"]
    # Each check has its own two minutes.
    assert sum(clock.sleeps) == 240.0


def test_slow_answers_start_no_attempt_after_two_minutes(hook: ModuleType) -> None:
    clock = FakeClock()
    site = healthy_site(hook, chat=[Reply(hook)(503)])
    starts: list[float] = []

    def slow(method: str, url: str, headers: Any, body: Any) -> Any:
        if urlsplit(url).path == "/api/chat":
            starts.append(clock.now)
            clock.now += 25.0  # each answer takes 25 s
        return site(method, url, headers, body)

    assert run_hook(hook, healthy_arm(hook), slow, clock=clock) == 1
    # The fifth attempt would start at 130 s, past the two minutes.
    assert starts == [0.0, 35.0, 70.0, 105.0]


def test_presence_without_its_key_is_a_failure_and_the_other_checks_still_run(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook, presence_keys=[(404, None)])
    site = healthy_site(hook)
    assert run_hook(hook, arm, site) == 1
    out = capsys.readouterr()
    assert "presence reaches Web PubSub: function presence has no default key yet" in out.err
    assert site.count(*PRESENCE) == 0
    assert "field check event handler answers the validation request: ok" in out.out


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, TOKEN_BODY),
        (200, {"url": TOKEN_BODY["url"]}),
        (200, {"accessToken": LEAKED_TOKEN}),
        (201, TOKEN_BODY),
    ],
    ids=["full", "url-only", "token-only", "any-status-with-a-token"],
)
def test_a_token_for_a_forged_identity_stops_the_app_at_once_and_says_so_loudly(
    hook: ModuleType, status: int, body: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook)
    site = healthy_site(hook, negotiate=[Reply(hook)(status, body)])
    clock = FakeClock()
    assert run_hook(hook, arm, site, clock=clock) == 1
    assert site.count(*NEGOTIATE) == 1
    assert arm.count("POST", STOP) == 1
    out = capsys.readouterr()
    assert out.err == (
        "webpubsub hub: STOPPED the function app func-abc. /api/negotiate answered HTTP "
        f"{status} with a Web PubSub token for a forged x-ms-client-principal-name header with no signed-in "
        "session: anyone could chat as anyone.\n"
        "  Fix: turn on App Service Authentication (azd env set AUTH_CLIENT_ID <client id>, "
        "then azd provision; see docs/deploying.md, Who the user is); "
        "then start the app (az functionapp start -g rg -n func-abc, or Start in the portal) "
        "and run: azd hooks run postdeploy\n"
    )
    # No later check ran against an open app, and nothing says the chat is ready.
    assert site.count(*CHAT) == 0 and "Chat:" not in out.out
    assert_no_secret(out.out, out.err)


def test_refusals_then_a_token_still_stop_the_app(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = Reply(hook)
    arm = healthy_arm(hook)
    site = healthy_site(hook, negotiate=[reply(503), reply(404), reply(200, TOKEN_BODY), reply(401)])
    assert run_hook(hook, arm, site) == 1
    assert site.count(*NEGOTIATE) == 3
    assert arm.count("POST", STOP) == 1
    assert capsys.readouterr().err.startswith("webpubsub hub: STOPPED the function app func-abc.")


def test_a_token_leak_the_hook_cannot_stop_says_the_app_is_still_open(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook, stop=[(403, {"error": {"code": "AuthorizationFailed"}})])
    site = healthy_site(hook, negotiate=[Reply(hook)(200, TOKEN_BODY)])
    assert run_hook(hook, arm, site) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "webpubsub hub: the function app func-abc is STILL RUNNING and open: stopping it failed (HTTP 403)."
    )
    assert "Stop it now (az functionapp stop -g rg -n func-abc, or Stop in the portal)" in err
    assert_no_secret(err)


def test_no_key_or_token_appears_in_any_line_whatever_fails(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = Reply(hook)
    error = f"bad key {PRESENCE_KEY} in https://x/api/presence?code={PRESENCE_KEY}"
    site = healthy_site(
        hook,
        extension=[reply(404)],
        presence=[reply(500, {"error": {"code": "not_configured", "message": error}})],
        chat=[reply(500, {"error": {"code": f"x?code={PRESENCE_KEY}"}})],
    )
    assert run_hook(hook, healthy_arm(hook), site) == 1
    out = capsys.readouterr()
    assert "field checks failed" in out.err
    assert_no_secret(out.out, out.err)


def test_the_last_wait_is_cut_short_so_no_sleep_runs_past_the_budget(hook: ModuleType) -> None:
    bounded = hook_module(hook, "bounded_retry")
    clock = FakeClock()
    outcome = bounded.until_settled(lambda: bounded.retry("not yet"), clock, clock.sleep, 25.0, 10.0)
    assert (outcome.attempts, outcome.verdict.detail) == (4, "not yet")
    assert clock.sleeps == [10.0, 10.0, 5.0]


def test_a_final_verdict_is_not_asked_again(hook: ModuleType) -> None:
    bounded = hook_module(hook, "bounded_retry")
    clock = FakeClock()
    outcome = bounded.until_settled(lambda: bounded.final("no"), clock, clock.sleep, 120.0, 10.0)
    assert outcome.attempts == 1 and clock.sleeps == []


def test_the_deploying_doc_documents_every_check_and_how_to_rerun_them(hook: ModuleType) -> None:
    doc = (REPO / "docs" / "deploying.md").read_text(encoding="utf-8")
    section = doc.split("\n## Checks in the field\n", 1)[1].split("\n#", 1)[0]
    for name in hook_module(hook, "field_checks").CHECK_NAMES:
        assert name in section, name
    assert "azd hooks run postdeploy" in section
    assert "STOPPED the function app" in section


def test_a_stop_that_gets_no_answer_from_arm_still_says_the_app_is_open(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook)
    no_answer = hook_module(hook, "azure_rest").HookError("POST management.azure.com: no answer (timed out)")

    def send(method: str, url: str, headers: Any, body: Any) -> Any:
        if url.split("?")[0].endswith("/stop"):
            raise no_answer
        return arm(method, url, headers, body)

    site = healthy_site(hook, negotiate=[Reply(hook)(200, TOKEN_BODY)])
    assert run_hook(hook, send, site) == 1
    assert capsys.readouterr().err.startswith(
        "webpubsub hub: the function app func-abc is STILL RUNNING and open: "
        "stopping it failed (no answer from ARM)."
    )
