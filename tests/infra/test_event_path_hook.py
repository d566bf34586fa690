"""The hook picks the event path the app really answers on: the extension's
webhook, or the HTTP route when the webhook fails the service's validation
request (the Flex symptom), or the one WEBPUBSUB_EVENT_PATH forces."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from tests.infra.hook_fakes import (
    ENV,
    HOST_KEYS,
    HTTP_URL,
    ORIGIN,
    WEBHOOK_KEYS,
    FakeClock,
    Reply,
    assert_no_secret,
    healthy_arm,
    healthy_site,
    hook_module,
    keys,
    run_hook,
)

EXT = ("OPTIONS", "/runtime/webhooks/webpubsub")
HTTP = ("OPTIONS", "/api/webpubsub")
SHOWN_EXT = "https://func-abc.azurewebsites.net/runtime/webhooks/webpubsub?code=***"
SHOWN_HTTP = "https://func-abc.azurewebsites.net/api/webpubsub?code=***"
ALLOWED = f"HTTP 200, WebHook-Allowed-Origin: {ORIGIN}"


def with_mode(mode: str) -> dict[str, str]:
    return {**ENV, "WEBPUBSUB_EVENT_PATH": mode}


def written_url(arm: Any) -> str:
    (put,) = [call for call in arm.calls if call[0] == "PUT"]
    (handler,) = put[2]["properties"]["eventHandlers"]
    return str(handler["urlTemplate"])


def test_the_validation_request_names_the_services_host_as_the_service_does(hook: ModuleType) -> None:
    site = healthy_site(hook)
    assert run_hook(hook, healthy_arm(hook), site) == 0
    probes = [call for call in site.calls if call[0] == "OPTIONS"]
    assert probes and all(headers == {"WebHook-Request-Origin": ORIGIN} for _, _, headers in probes)


def test_auto_takes_the_extension_webhook_when_it_answers_and_never_reads_the_http_key(
    hook: ModuleType,
) -> None:
    arm, site = healthy_arm(hook), healthy_site(hook)
    assert run_hook(hook, arm, site) == 0
    assert written_url(arm).startswith("https://func-abc.azurewebsites.net/runtime/webhooks/webpubsub?code=")
    assert arm.count("POST", WEBHOOK_KEYS) == 0
    assert site.count(*HTTP) == 0


def test_auto_falls_back_to_the_http_route_when_the_extension_answers_404(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook)
    site = healthy_site(hook, extension=[Reply(hook)(404)])
    assert run_hook(hook, arm, site) == 0
    assert written_url(arm) == HTTP_URL
    out = capsys.readouterr()
    assert out.out.splitlines()[0] == (
        f"event path: http ({SHOWN_HTTP}): the extension webhook did not answer (HTTP 404); "
        f"the HTTP route answered the validation request ({ALLOWED})"
    )
    assert f"webpubsub hub chat: created ({SHOWN_HTTP})" in out.out
    # A 404 is an answer, not a start-up hiccup: asked once.
    assert site.count(*EXT) == 1
    assert_no_secret(out.out, out.err)


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        ({"status": 400}, "HTTP 400"),
        ({"status": 401}, "HTTP 401"),
        ({"status": 200}, f"HTTP 200 without WebHook-Allowed-Origin naming {ORIGIN}"),
        ({"status": 200, "WebHook_Allowed_Origin": "other.webpubsub.azure.com"}, None),
    ],
)
def test_auto_falls_back_when_the_extension_does_not_allow_the_services_origin(
    hook: ModuleType, answer: dict[str, Any], detail: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    status = answer.pop("status")
    arm = healthy_arm(hook)
    assert run_hook(hook, arm, healthy_site(hook, extension=[Reply(hook)(status, **answer)])) == 0
    assert written_url(arm) == HTTP_URL
    expected = detail or f"HTTP 200 without WebHook-Allowed-Origin naming {ORIGIN}"
    assert f"the extension webhook did not answer ({expected})" in capsys.readouterr().out


def test_a_wildcard_origin_is_allowed_as_the_extension_answers_without_a_known_host(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook)
    site = healthy_site(hook, extension=[Reply(hook)(200, WebHook_Allowed_Origin="*")])
    assert run_hook(hook, arm, site) == 0
    assert "/runtime/webhooks/webpubsub" in written_url(arm)
    assert "(HTTP 200, WebHook-Allowed-Origin: *)" in capsys.readouterr().out


def test_auto_takes_the_http_route_when_the_extension_key_never_appears(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook, host_keys=[keys(False)])
    clock = FakeClock()
    site = healthy_site(hook)
    assert run_hook(hook, arm, site, clock=clock) == 0
    app_keys = hook_module(hook, "app_keys")
    assert arm.count("POST", HOST_KEYS) == app_keys.KEY_ATTEMPTS
    assert written_url(arm) == HTTP_URL
    assert site.count(*EXT) == 0
    assert (
        "the extension webhook did not answer (no webpubsub_extension system key after waiting)"
        in capsys.readouterr().out
    )


def test_auto_fails_clearly_when_neither_path_answers(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook)
    site = healthy_site(hook, extension=[Reply(hook)(404)], http=[Reply(hook)(400)])
    assert run_hook(hook, arm, site) == 1
    assert arm.count("PUT") == 0
    out = capsys.readouterr()
    assert out.err == (
        "webpubsub hub: neither event path answered the validation request (extension webhook: HTTP 404; "
        "HTTP route: HTTP 400). Fix: check that the deploy succeeded and that the app's "
        f"WebPubSubConnectionString__serviceUri names {ORIGIN} (a 400 means the app does not accept "
        "that service); then run: azd hooks run postdeploy\n"
    )
    assert "field check" not in out.out


def test_forced_extension_takes_it_when_it_answers_and_says_it_was_forced(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook)
    assert run_hook(hook, arm, healthy_site(hook), env=with_mode("extension")) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"event path: extension ({SHOWN_EXT}): forced by WEBPUBSUB_EVENT_PATH=extension; "
        f"it answered the validation request ({ALLOWED})"
    )


def test_forced_extension_that_fails_the_probe_fails_the_hook_naming_the_fix(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook)
    site = healthy_site(hook, extension=[Reply(hook)(404)])
    assert run_hook(hook, arm, site, env=with_mode("extension")) == 1
    assert capsys.readouterr().err == (
        f"webpubsub hub: the extension webhook {SHOWN_EXT} did not answer the validation request: HTTP 404. "
        "Fix: on Flex Consumption use the HTTP route (azd env set WEBPUBSUB_EVENT_PATH http, or auto), "
        "then run: azd hooks run postdeploy\n"
    )
    assert site.count(*HTTP) == 0 and arm.count("POST", WEBHOOK_KEYS) == 0 and arm.count("PUT") == 0


def test_forced_extension_without_its_key_fails_and_does_not_fall_back(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook, host_keys=[keys(False)])
    assert run_hook(hook, arm, healthy_site(hook), env=with_mode("extension")) == 1
    assert "no webpubsub_extension system key yet" in capsys.readouterr().err
    assert arm.count("POST", WEBHOOK_KEYS) == 0


def test_forced_http_skips_the_extension_and_probes_the_http_route(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm, site = healthy_arm(hook), healthy_site(hook)
    assert run_hook(hook, arm, site, env=with_mode("http")) == 0
    assert written_url(arm) == HTTP_URL
    assert arm.count("POST", HOST_KEYS) == 0 and site.count(*EXT) == 0
    assert site.count(*HTTP) == 2  # the choice, then the field check
    assert capsys.readouterr().out.splitlines()[0] == (
        f"event path: http ({SHOWN_HTTP}): forced by WEBPUBSUB_EVENT_PATH=http; "
        f"the HTTP route answered the validation request ({ALLOWED})"
    )


def test_forced_http_that_fails_the_probe_fails_the_hook_naming_the_fix(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook)
    site = healthy_site(hook, http=[Reply(hook)(404)])
    assert run_hook(hook, arm, site, env=with_mode("http")) == 1
    assert capsys.readouterr().err == (
        f"webpubsub hub: the HTTP route {SHOWN_HTTP} did not answer the validation request: HTTP 404. "
        "Fix: check that the deploy holds the webhook function, or azd env set WEBPUBSUB_EVENT_PATH auto; "
        "then run: azd hooks run postdeploy\n"
    )
    assert arm.count("PUT") == 0


def test_the_http_key_is_awaited_while_the_host_indexes_the_function(hook: ModuleType) -> None:
    arm = healthy_arm(
        hook, webhook_keys=[(404, None), (200, {}), (200, {"properties": {"default": "hTtP-kEy/9+=="}})]
    )
    clock = FakeClock()
    assert run_hook(hook, arm, healthy_site(hook), env=with_mode("http"), clock=clock) == 0
    assert arm.count("POST", WEBHOOK_KEYS) == 3
    assert written_url(arm) == HTTP_URL


def test_a_refused_http_key_listing_stops_at_once(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    arm = healthy_arm(hook, webhook_keys=[(403, None)])
    assert run_hook(hook, arm, healthy_site(hook), env=with_mode("http")) == 1
    assert arm.count("POST", WEBHOOK_KEYS) == 1
    assert (
        capsys.readouterr().err
        == "webpubsub hub: listing the keys of function webhook failed with HTTP 403\n"
    )


@pytest.mark.parametrize("mode", ["sometimes", "extensions", "both"])
def test_a_bad_event_path_value_is_named_before_anything_is_called(
    hook: ModuleType, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    called: list[Any] = []
    arm, site = healthy_arm(hook), healthy_site(hook)
    assert run_hook(hook, arm, site, env=with_mode(mode), run=lambda *a, **k: called.append(a)) == 1
    assert called == [] and arm.calls == [] and site.calls == []
    assert capsys.readouterr().err == (
        f"webpubsub hub: WEBPUBSUB_EVENT_PATH must be one of auto, extension, http, not {mode!r} "
        "(azd env set WEBPUBSUB_EVENT_PATH auto)\n"
    )


@pytest.mark.parametrize(("value", "mode"), [("", "auto"), (" HTTP ", "http"), ("Extension", "extension")])
def test_the_event_path_value_is_read_loosely(hook: ModuleType, value: str, mode: str) -> None:
    assert hook_module(hook, "event_path").event_path_mode(with_mode(value)) == mode


def test_a_webhook_still_starting_is_asked_again_within_two_minutes(hook: ModuleType) -> None:
    no_answer = hook_module(hook, "azure_rest").HookError("OPTIONS func-abc.azurewebsites.net: no answer (x)")
    site = healthy_site(
        hook, extension=[Reply(hook)(503), no_answer, Reply(hook)(200, WebHook_Allowed_Origin=ORIGIN)]
    )
    arm, clock = healthy_arm(hook), FakeClock()
    assert run_hook(hook, arm, site, clock=clock) == 0
    assert "/runtime/webhooks/webpubsub" in written_url(arm)
    assert site.count(*EXT) == 3 + 1  # two retries, the pass, then the field check


def test_a_webhook_that_never_stops_failing_is_given_up_on_after_two_minutes(
    hook: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    site = healthy_site(hook, extension=[Reply(hook)(503)])
    clock = FakeClock()
    assert run_hook(hook, healthy_arm(hook), site, env=with_mode("extension"), clock=clock) == 1
    # Asked at 0, 10, ..., 120 s: thirteen times, never past two minutes.
    assert site.count(*EXT) == 13
    assert clock.sleeps == [10.0] * 12 and clock.now == 120.0
    assert "did not answer the validation request: HTTP 503." in capsys.readouterr().err
