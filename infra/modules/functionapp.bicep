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

@description('Storage endpoints for AzureWebJobsStorage by identity.')
param blobEndpoint string
param queueEndpoint string
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

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy on Flex Consumption is offered in some regions only; set the plan's zoneRedundant where it is and wanted.
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
  // checkov:skip=CKV_AZURE_222: a public chat app: browsers and Web PubSub reach it over the internet.
  // checkov:skip=CKV_AZURE_17: browsers do not present client certificates; users sign in with App Service Authentication.
  // checkov:skip=CKV_AZURE_212: serverless: Flex Consumption scales to zero and out on demand, there is no fixed instance count.
  // checkov:skip=CKV_AZURE_213: no always-on instance to probe on Flex Consumption (scale to zero); the platform tracks instance health.
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

// Every setting in one place. No key, connection-string secret or client
// secret: storage, telemetry and Web PubSub are all reached by identity.
resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  // checkov applies its Microsoft.Web/sites checks to this sites/config child,
  // which carries none of their properties (they belong to the site itself):
  // checkov:skip=CKV_AZURE_13: a site check misapplied to a sites/config child (see above).
  // checkov:skip=CKV_AZURE_63: a site check misapplied to a sites/config child (see above).
  // checkov:skip=CKV_AZURE_65: a site check misapplied to a sites/config child (see above).
  // checkov:skip=CKV_AZURE_66: a site check misapplied to a sites/config child (see above).
  // checkov:skip=CKV_AZURE_80: a site check misapplied to a sites/config child (see above).
  // checkov:skip=CKV_AZURE_88: a site check misapplied to a sites/config child (see above).
  // checkov:skip=CKV_AZURE_222: a site check misapplied to a sites/config child (see above).
  parent: site
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__blobServiceUri: blobEndpoint
    AzureWebJobsStorage__queueServiceUri: queueEndpoint
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
