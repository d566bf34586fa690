import pytest

from chat.settings import Settings, SettingsError


def test_defaults_apply_when_nothing_is_set():
    assert Settings.from_env({}) == Settings(
        hub="chat",
        allow_anonymous=False,
        default_room="lobby",
        max_message_length=2000,
        running_in_azure=False,
        auth_enabled=False,
    )


def test_every_setting_is_read():
    env = {
        "WebPubSubHub": "support",
        "ChatAllowAnonymous": "True",
        "ChatDefaultRoom": "general",
        "ChatMaxMessageLength": "500",
        "WEBSITE_INSTANCE_ID": "abc123",
        "WEBSITE_AUTH_ENABLED": "True",
    }
    assert Settings.from_env(env) == Settings("support", True, "general", 500, True, True)


@pytest.mark.parametrize(
    "env, name",
    [
        ({"ChatAllowAnonymous": "maybe"}, "ChatAllowAnonymous"),
        ({"ChatMaxMessageLength": "lots"}, "ChatMaxMessageLength"),
        ({"ChatMaxMessageLength": "-7"}, "ChatMaxMessageLength"),
        ({"ChatDefaultRoom": "no spaces allowed"}, "ChatDefaultRoom"),
        ({"WebPubSubHub": "9lives"}, "WebPubSubHub"),
    ],
)
def test_a_malformed_setting_names_itself_but_not_its_value(env, name):
    with pytest.raises(SettingsError) as err:
        Settings.from_env(env)
    assert name in str(err.value)
    assert next(iter(env.values())) not in str(err.value)


def test_authentication_counts_as_enabled_only_when_app_service_says_true():
    assert not Settings.from_env({"WEBSITE_AUTH_ENABLED": "False"}).auth_enabled
    assert Settings.from_env({"WEBSITE_AUTH_ENABLED": "true"}).auth_enabled
