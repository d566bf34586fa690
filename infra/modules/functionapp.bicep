// The Flex Consumption (FC1) plan and the Python 3.13 function app, running
// as the user-assigned identity, with its app settings. The runtime lives in
// functionAppConfig.runtime: Flex refuses FUNCTIONS_WORKER_RUNTIME.

@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Region (one with Flex Consumption).')
param location string

@description('Tags for every resource; the app also gets azd-service-name.')
param tags object

@description('The azure.yaml service this app hosts.')
param serviceName string

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Blob container URL for the deployment package.')
param deploymentContainerUrl string

@description('Storage endpoints for AzureWebJobsStorage by identity (no queue: nothing here uses one); the table endpoint also serves chat history (ChatStorage).')
param blobEndpoint string
param tableEndpoint string

@description('Application Insights connection string (no secret: local auth is off).')
param appInsightsConnectionString string

@description('Web PubSub endpoint, https://<name>.webpubsub.azure.com.')
param webPubSubServiceUri string

@description('The hub the app serves (app setting WebPubSubHub).')
param hubName string

@description('Python version of the Functions runtime.')
param pythonVersion string

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Chat settings read by the app (chat/settings.py).')
param chatDefaultRoom string
param chatMaxMessageLength int
param chatAllowAnonymous bool
@description('Chat history: days kept (0: for ever) and the messages a join shows.')
param chatHistoryDays int
param chatHistoryPage int

@description('Client id of the Entra app registration users sign in to; empty leaves App Service Authentication off.')
param authClientId string

@description('Paths App Service Authentication lets through without a signed-in user.')
param authExcludedPaths array

// One condition decides both halves: Easy Auth configured (auth.bicep), and
// the app setting ChatEasyAuthEnabled that tells negotiate it may trust the
// x-ms-client-principal-name header. Never one without the other.
var easyAuthEnabled = !empty(authClientId)

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  // checkov:skip=CKV_AZURE_225: wants zoneRedundant; on Flex Consumption that makes the platform keep at least two always-ready (billed) instances per scale group (MicrosoftDocs/azure-docs, articles/reliability/reliability-functions.md), ending scale to zero, and only some regions offer it. Set it for production.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  // checkov:skip=CKV_AZURE_222: wants publicNetworkAccess Disabled; browsers and the Web PubSub service's event handler calls reach this chat app over the internet. Easy Auth guards the pages and negotiate, function keys and the extension's system key guard the rest (main.bicep, unauthenticatedPaths).
  // checkov:skip=CKV_AZURE_17: wants clientCertEnabled (mutual TLS); browsers present no client certificate and Web PubSub's handler authenticates with the key in its URL; users sign in with Easy Auth instead.
  // checkov:skip=CKV_AZURE_212: wants siteConfig.numberOfWorkers above 1, a dedicated plan's fixed instance count; Flex Consumption starts instances on demand, bounded by functionAppConfig.scaleAndConcurrency below.
  // checkov:skip=CKV_AZURE_213: wants siteConfig.healthCheckPath, which takes failing instances out of a standing pool; this Flex Consumption app keeps no standing (always-ready) instances to rotate.
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

// Easy Auth is written before the app settings (appSettings depends on it),
// so a provision that turns it on never leaves ChatEasyAuthEnabled=true on an
// app that Easy Auth does not guard yet. Turning it off (AUTH_CLIENT_ID
// emptied) leaves the old authsettingsV2 in place but sets the flag to false:
// negotiate then refuses, the safe side.
module auth 'auth.bicep' = if (easyAuthEnabled) {
  name: 'auth'
  params: {
    appName: site.name
    clientId: authClientId
    excludedPaths: authExcludedPaths
  }
}

// Every setting in one place. No key, connection-string secret or client
// secret: storage, telemetry and Web PubSub are all reached by identity.
resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  // checkov runs its web-config checks on every Microsoft.Web/sites/config,
  // whatever its name; each wants a property of another config or of the site:
  // checkov:skip=CKV_AZURE_13: fails every sites/config not named authsettings*; Easy Auth is the auth module above (authsettingsV2), deployed before these settings whenever AUTH_CLIENT_ID is set.
  // checkov:skip=CKV_AZURE_63: wants httpLoggingEnabled, a property of the site's web config (App Service web-server logs), which this appsettings config cannot carry; requests are logged to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING).
  // checkov:skip=CKV_AZURE_65: wants detailedErrorLoggingEnabled, a web-config property this appsettings config cannot carry; function errors reach Application Insights.
  // checkov:skip=CKV_AZURE_66: wants requestTracingEnabled (failed-request tracing, a web-config property) which this appsettings config cannot carry; Application Insights records failed requests.
  // checkov:skip=CKV_AZURE_80: wants netFrameworkVersion v8.0, a .NET setting; this app runs Python 3.13 (functionAppConfig.runtime in functionapp.bicep).
  // checkov:skip=CKV_AZURE_88: wants azureStorageAccounts (Azure Files mounts); the app keeps no files: its package is in a blob container (functionAppConfig.deployment) and it mounts nothing.
  // checkov:skip=CKV_AZURE_222: wants publicNetworkAccess Disabled, a site property this appsettings config cannot carry; the site is public on purpose (see its skip in functionapp.bicep).
  parent: site
  name: 'appsettings'
  dependsOn: [
    auth
  ]
  properties: {
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__blobServiceUri: blobEndpoint
    AzureWebJobsStorage__tableServiceUri: tableEndpoint
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    WebPubSubHub: hubName
    WebPubSubConnectionString__serviceUri: webPubSubServiceUri
    WebPubSubConnectionString__credential: 'managedidentity'
    WebPubSubConnectionString__clientId: identityClientId
    ChatDefaultRoom: chatDefaultRoom
    ChatMaxMessageLength: string(chatMaxMessageLength)
    ChatAllowAnonymous: chatAllowAnonymous ? 'true' : 'false'
    ChatEasyAuthEnabled: easyAuthEnabled ? 'true' : 'false'
    // Chat history in the account's table (storage.bicep), by the same identity
    // (adapters/storage_access.py reads these three).
    ChatStorage__tableServiceUri: tableEndpoint
    ChatStorage__credential: 'managedidentity'
    ChatStorage__clientId: identityClientId
    ChatHistoryDays: string(chatHistoryDays)
    ChatHistoryPage: string(chatHistoryPage)
  }
}

// No FTP and no basic-auth publishing: azd deploys with an Entra token.
resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output hostName string = site.properties.defaultHostName
