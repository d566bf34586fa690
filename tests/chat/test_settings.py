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


@pytest.mark.parametrize(
    "raw, expected",
    [("true", True), ("1", True), ("yes", True), (" YES ", True), ("false", False), ("0", False)]
    + [("no", False), ("NO", False), ("", False), ("  ", False)],
)
def test_a_flag_reads_each_spelling_of_true_and_false(raw, expected):
    assert Settings.from_env({"ChatAllowAnonymous": raw}).allow_anonymous is expected


@pytest.mark.parametrize("raw", ["y", "on", "2", "truely"])
def test_any_other_flag_value_is_refused_with_its_rule(raw):
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"ChatAllowAnonymous": raw})
    assert str(err.value) == "ChatAllowAnonymous must be true or false"


@pytest.mark.parametrize(
    "raw, expected", [("1", 1), ("1000000", 1_000_000), (" 42 ", 42), ("", 2000), ("  ", 2000)]
)
def test_the_message_length_is_read_from_1_to_1000000_and_blank_means_the_default(raw, expected):
    assert Settings.from_env({"ChatMaxMessageLength": raw}).max_message_length == expected


@pytest.mark.parametrize(
    "raw, message",
    [
        ("0", "ChatMaxMessageLength must be between 1 and 1000000"),
        ("1000001", "ChatMaxMessageLength must be between 1 and 1000000"),
        ("1.5", "ChatMaxMessageLength must be a whole number"),
    ],
)
def test_a_message_length_just_past_either_end_is_refused(raw, message):
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"ChatMaxMessageLength": raw})
    assert str(err.value) == message


@pytest.mark.parametrize("raw", [None, "", "false", "1", "yes"])
def test_authentication_is_off_unless_the_setting_says_true(raw):
    env = {} if raw is None else {"WEBSITE_AUTH_ENABLED": raw}
    assert Settings.from_env(env).auth_enabled is False
