import pytest

from chat.settings import Settings, SettingsError


def test_defaults_apply_when_nothing_is_set():
    assert Settings.from_env({}) == Settings(
        hub="chat",
        allow_anonymous=False,
        default_room="lobby",
        max_message_length=2000,
        easy_auth_on=False,
        local_development_host=False,
    )


def test_every_setting_is_read():
    env = {
        "WebPubSubHub": "support",
        "ChatAllowAnonymous": "True",
        "ChatDefaultRoom": "general",
        "ChatMaxMessageLength": "500",
        "ChatEasyAuthEnabled": "true",
        "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
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
        ({"ChatEasyAuthEnabled": "perhaps"}, "ChatEasyAuthEnabled"),
    ],
)
def test_a_malformed_setting_names_itself_but_not_its_value(env, name):
    with pytest.raises(SettingsError) as err:
        Settings.from_env(env)
    assert name in str(err.value)
    assert next(iter(env.values())) not in str(err.value)


@pytest.mark.parametrize("raw", ["true", "True", "TRUE", " true "])
def test_authentication_counts_as_on_when_app_service_says_true(raw):
    assert Settings.from_env({"WEBSITE_AUTH_ENABLED": raw}).easy_auth_on is True


def test_authentication_counts_as_on_when_the_deployment_declares_it():
    assert Settings.from_env({"ChatEasyAuthEnabled": "true"}).easy_auth_on is True
    assert Settings.from_env({"ChatEasyAuthEnabled": "false"}).easy_auth_on is False


@pytest.mark.parametrize("value", ["Development", "development", " Development "])
def test_a_development_host_with_no_azure_marker_is_local(value):
    settings = Settings.from_env({"AZURE_FUNCTIONS_ENVIRONMENT": value, "CONTAINER_NAME": "devbox"})
    assert settings.local_development_host is True
    assert settings.trusts_principal_header is True


@pytest.mark.parametrize(
    "marker",
    ["WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID", "WEBSITE_SKU", "WEBSITE_POD_NAME", "LEGION_SERVICE_HOST"],
)
def test_any_azure_marker_makes_a_development_host_untrusted(marker):
    settings = Settings.from_env({"AZURE_FUNCTIONS_ENVIRONMENT": "Development", marker: "x"})
    assert settings.local_development_host is False
    assert settings.trusts_principal_header is False


@pytest.mark.parametrize(
    "env", [{}, {"AZURE_FUNCTIONS_ENVIRONMENT": "Production"}, {"CONTAINER_NAME": "devbox"}]
)
def test_a_host_that_is_neither_authenticated_nor_local_trusts_no_header(env):
    assert Settings.from_env(env).trusts_principal_header is False


def test_a_blank_azure_marker_is_no_marker():
    env = {"AZURE_FUNCTIONS_ENVIRONMENT": "Development", "WEBSITE_INSTANCE_ID": " "}
    assert Settings.from_env(env).local_development_host is True


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
    assert Settings.from_env(env).easy_auth_on is False
