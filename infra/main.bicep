// azd up: the whole chat app in one resource group, with no access key,
// connection-string secret or client secret anywhere.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource names.')
param environmentName string

@description('Region with Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Web PubSub pricing tier: Free_F1 (default) or Standard_S1.')
@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
])
param webPubSubSku string = 'Free_F1'

@description('Client id of an Entra app registration for App Service Authentication; empty leaves it off and negotiate refuses.')
param authClientId string = ''

@description('The Web PubSub hub (app setting WebPubSubHub).')
param hubName string = 'chat'

@description('Chat settings (chat/settings.py).')
param chatDefaultRoom string = 'lobby'
@minValue(1)
@maxValue(1000000)
param chatMaxMessageLength int = 2000

@description('Chat history (chat/settings.py): days a message is kept (0 keeps everything).')
@minValue(0)
@maxValue(36500)
param chatHistoryDays int = 30
@description('Chat history: the latest messages a join shows.')
@minValue(1)
@maxValue(100)
param chatHistoryPage int = 50

var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var appName = 'func-${token}'
// Easy Auth must let these through: the extension's webhook (the system key
// guards it) and the routes guarded by a function key.
var unauthenticatedPaths = [
  '/runtime/webhooks/webpubsub'
  '/api/webpubsub'
  '/api/broadcast'
  '/api/presence'
]

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: 'log-${token}'
    appInsightsName: 'appi-${token}'
    location: location
    tags: tags
    publisherPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'st${token}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${token}'
    // The chat history's table: adapters/tables.py TABLE_NAME.
    historyTableName: 'ChatHistory'
    appPrincipalId: identity.outputs.principalId
  }
}

module webPubSub 'modules/webpubsub.bicep' = {
  name: 'webpubsub'
  params: {
    name: 'wps-${token}'
    location: location
    tags: tags
    sku: webPubSubSku
    appPrincipalId: identity.outputs.principalId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: appName
    planName: 'plan-${token}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    appInsightsConnectionString: monitoring.outputs.connectionString
    webPubSubServiceUri: webPubSub.outputs.serviceUri
    hubName: hubName
    pythonVersion: '3.13'
    chatDefaultRoom: chatDefaultRoom
    chatMaxMessageLength: chatMaxMessageLength
    chatAllowAnonymous: false
    chatHistoryDays: chatHistoryDays
    chatHistoryPage: chatHistoryPage
    // App Service Authentication is configured inside the function app's
    // module (modules/auth.bicep), before the app settings that announce it.
    authClientId: authClientId
    authExcludedPaths: unauthenticatedPaths
  }
}

// azd stores these in the environment; the postdeploy hook reads them.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_HOSTNAME string = functionApp.outputs.hostName
output WEBPUBSUB_NAME string = webPubSub.outputs.name
output WEBPUBSUB_HUB string = hubName
output CHAT_URL string = 'https://${functionApp.outputs.hostName}/api/chat'
