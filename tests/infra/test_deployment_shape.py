"""The deployment has the shape issue 10 asks for: Flex Consumption on Python
3.13, one user-assigned identity, no keys, and the roles that make it work."""

from __future__ import annotations

import pytest

from tests.infra.bicep import BicepFile, Choice, Loop, Opaque, Resource, resolve
from tests.infra.conftest import REPO, config, literal, module_params, only


def test_the_plan_is_flex_consumption_fc1_on_linux(resources: list[Resource]) -> None:
    plan = only(resources, "Microsoft.Web/serverfarms")
    assert literal(plan.body, "sku") == {"name": "FC1", "tier": "FlexConsumption"}
    assert literal(plan.body, "properties", "reserved") is True


def test_the_app_runs_python_3_13_from_function_app_config(
    resources: list[Resource], bicep_files: dict[str, BicepFile]
) -> None:
    site = only(resources, "Microsoft.Web/sites")
    runtime = literal(site.body, "properties", "functionAppConfig", "runtime")
    assert runtime == {"name": "python", "version": Opaque("pythonVersion")}
    assert module_params(bicep_files["main.bicep"], "functionapp")["pythonVersion"] == "3.13"


def test_no_setting_names_the_worker_runtime_which_flex_refuses(resources: list[Resource]) -> None:
    settings = literal(config(resources, "appsettings"), "properties")
    assert "FUNCTIONS_WORKER_RUNTIME" not in settings
    site = only(resources, "Microsoft.Web/sites")
    assert "appSettings" not in literal(site.body, "properties", "siteConfig")


def test_the_app_is_https_only_with_ftp_and_basic_publishing_off(resources: list[Resource]) -> None:
    site = only(resources, "Microsoft.Web/sites")
    assert literal(site.body, "properties", "httpsOnly") is True
    assert literal(site.body, "properties", "siteConfig", "ftpsState") == "Disabled"
    policies = {
        r.body["name"]: r.body["properties"]
        for r in resources
        if r.type_name == "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
        and isinstance(r.body, dict)
    }
    assert policies == {"ftp": {"allow": False}, "scm": {"allow": False}}


def test_the_app_is_tagged_for_azd_deploy_as_service_api(
    resources: list[Resource], bicep_files: dict[str, BicepFile]
) -> None:
    site = only(resources, "Microsoft.Web/sites")
    assert "'azd-service-name': serviceName" in literal(site.body, "tags").text
    assert module_params(bicep_files["main.bicep"], "functionapp")["serviceName"] == "api"


def test_one_user_assigned_identity_runs_the_app_and_its_deployment_storage(
    resources: list[Resource],
) -> None:
    only(resources, "Microsoft.ManagedIdentity/userAssignedIdentities")
    site = only(resources, "Microsoft.Web/sites")
    assert literal(site.body, "identity", "type") == "UserAssigned"
    storage = literal(site.body, "properties", "functionAppConfig", "deployment", "storage")
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": Opaque("identityId"),
    }


def test_storage_is_reached_by_identity_with_shared_keys_off(resources: list[Resource]) -> None:
    account = only(resources, "Microsoft.Storage/storageAccounts")
    properties = literal(account.body, "properties")
    assert properties["allowSharedKeyAccess"] is False
    assert properties["allowBlobPublicAccess"] is False
    assert properties["defaultToOAuthAuthentication"] is True
    settings = literal(config(resources, "appsettings"), "properties")
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert {"AzureWebJobsStorage__clientId", "AzureWebJobsStorage__blobServiceUri"} <= set(settings)
    assert "AzureWebJobsStorage__tableServiceUri" in settings
    # No queue user: the host uses none, and the app has no queue trigger.
    assert "AzureWebJobsStorage__queueServiceUri" not in settings
    assert "AzureWebJobsStorage" not in settings


def test_application_insights_takes_entra_auth_only_on_a_workspace_without_keys_either(
    resources: list[Resource],
) -> None:
    workspace = only(resources, "Microsoft.OperationalInsights/workspaces")
    assert literal(workspace.body, "properties", "features", "disableLocalAuth") is True
    insights = only(resources, "Microsoft.Insights/components")
    assert literal(insights.body, "properties", "DisableLocalAuth") is True
    assert literal(insights.body, "properties", "WorkspaceResourceId") == Opaque("workspace.id")
    settings = literal(config(resources, "appsettings"), "properties")
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == Opaque(
        "'ClientId=${identityClientId};Authorization=AAD'"
    )
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in settings


def test_web_pubsub_has_local_auth_off_and_its_sku_as_a_parameter_free_by_default(
    resources: list[Resource], bicep_files: dict[str, BicepFile]
) -> None:
    service = only(resources, "Microsoft.SignalRService/webPubSub")
    assert literal(service.body, "properties", "disableLocalAuth") is True
    assert literal(service.body, "sku", "name") == Choice(("Free_F1", "Standard_S1", "Premium_P1"))
    for path in ("main.bicep", "modules/webpubsub.bicep"):
        source = bicep_files[path].path.read_text()
        assert "string = 'Free_F1'" in source, path
    assert "${WEBPUBSUB_SKU=Free_F1}" in (REPO / "infra" / "main.parameters.json").read_text()


ROLES = {
    "12cf5a90-567b-43ae-8102-96cf46c7d9b4": "Web PubSub Service Owner",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}


def _role_ids(parsed: BicepFile, resource: Resource) -> list[str]:
    """The role definition GUIDs one assignment (or assignment loop) grants."""
    body = resource.body.body if isinstance(resource.body, Loop) else resource.body
    assert isinstance(body, dict)
    assert literal(body, "properties", "principalType") == "ServicePrincipal"
    role = literal(body, "properties", "roleDefinitionId")
    assert isinstance(role, Opaque)
    # subscriptionResourceId('Microsoft.Authorization/roleDefinitions', <name>)
    name = role.text.rsplit(",", 1)[-1].strip(" )")
    if isinstance(resource.body, Loop) and name == resource.body.item:
        ids = resource.body.items
    else:
        ids = resolve(parsed, name)
    return [str(role) for role in (ids if isinstance(ids, list) else [ids])]


def test_the_identity_gets_exactly_the_roles_it_needs_and_no_queue_role(
    bicep_files: dict[str, BicepFile],
) -> None:
    granted = [
        ROLES.get(str(role), str(role))
        for parsed in bicep_files.values()
        for resource in parsed.resources
        if resource.type_name == "Microsoft.Authorization/roleAssignments"
        for role in _role_ids(parsed, resource)
    ]
    assert sorted(granted) == sorted(ROLES.values())
    assert "974c5e8b-45b9-4653-ba55-5f855dd0fb88" not in granted  # Storage Queue Data Contributor


AUTH_EXCLUDED = ["/runtime/webhooks/webpubsub", "/api/webpubsub", "/api/broadcast", "/api/presence"]


def test_app_service_authentication_takes_a_client_id_and_no_secret(
    resources: list[Resource], bicep_files: dict[str, BicepFile]
) -> None:
    auth = literal(config(resources, "authsettingsV2"), "properties")
    assert literal(auth, "globalValidation", "requireAuthentication") is True
    registration = literal(auth, "identityProviders", "azureActiveDirectory", "registration")
    assert registration["clientId"] == Opaque("clientId")
    assert not [key for key in registration if "secret" in key.lower()]
    functionapp = bicep_files["modules/functionapp.bicep"]
    assert functionapp.module_conditions == {"auth.bicep": "easyAuthEnabled"}
    assert resolve(functionapp, "easyAuthEnabled") == Opaque("!empty(authClientId)")
    assert module_params(bicep_files["main.bicep"], "functionapp")["authClientId"] == Opaque("authClientId")
    assert "${AUTH_CLIENT_ID=}" in (REPO / "infra" / "main.parameters.json").read_text()


def test_the_app_is_told_easy_auth_is_on_exactly_when_the_same_deployment_configures_it(
    resources: list[Resource], bicep_files: dict[str, BicepFile]
) -> None:
    # Negotiate trusts x-ms-client-principal-name only when this says true.
    functionapp = bicep_files["modules/functionapp.bicep"]
    settings = config(resources, "appsettings")
    flag = literal(settings, "properties", "ChatEasyAuthEnabled")
    assert flag == Choice(("true", "false"), condition="easyAuthEnabled")
    # The same condition deploys auth.bicep; and Easy Auth is written first, so
    # the flag is never true on an app Easy Auth does not guard yet.
    assert functionapp.module_conditions["auth.bicep"] == flag.condition
    assert literal(settings, "dependsOn") == [Opaque("auth")]


def test_app_service_authentication_lets_the_webhook_and_function_key_routes_through(
    bicep_files: dict[str, BicepFile],
) -> None:
    main = bicep_files["main.bicep"]
    assert module_params(main, "functionapp")["authExcludedPaths"] == AUTH_EXCLUDED
    auth = bicep_files["modules/functionapp.bicep"].modules["auth.bicep"]
    assert literal(auth, "params", "excludedPaths") == Opaque("authExcludedPaths")


@pytest.mark.parametrize("path", ["main.bicep", "modules/functionapp.bicep", "modules/auth.bicep"])
def test_no_secret_is_written_into_the_templates(path: str, bicep_files: dict[str, BicepFile]) -> None:
    source = bicep_files[path].path.read_text()
    for word in ("listKeys", "AccessKey=", "AccountKey=", "clientSecret:", "@secure"):
        assert word not in source
