// The Web PubSub service with access keys off: the app reaches it with its
// identity (Web PubSub Service Owner). The hub and its event handler are not
// declared here: the postdeploy hook sets them once the function app's
// webpubsub_extension system key exists (see docs/deploying.md, The system key and the hub).

@description('Name of the Web PubSub resource.')
param name string

@description('Region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Pricing tier: Free_F1 (1 unit, 20 connections, no SLA) or Standard_S1 (paid per unit).')
@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
])
param sku string = 'Free_F1'

@description('Principal id of the identity the function app runs as.')
param appPrincipalId string

// Web PubSub Service Owner: send, manage groups and connections, and issue
// client access tokens (negotiate) with an Entra identity.
var serviceOwnerRole = '12cf5a90-567b-43ae-8102-96cf46c7d9b4'

resource service 'Microsoft.SignalRService/webPubSub@2024-03-01' = {
  // checkov:skip=CKV_AZURE_175: forbids Free_F1 (no SLA); Free_F1 is the default so the app can be tried at no cost; WEBPUBSUB_SKU=Standard_S1 gives an SLA.
  // checkov:skip=CKV_AZURE_176: wants a managed identity on the service; it would only sign the service's calls to its event handler, and the extension does not validate such tokens (contract, section 9): the system key in the handler URL guards it. An unused identity would be a leftover.
  name: name
  location: location
  tags: tags
  kind: 'WebPubSub'
  sku: {
    name: sku
    tier: split(sku, '_')[0]
    capacity: 1
  }
  properties: {
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    tls: {
      clientCertEnabled: false
    }
  }
}

resource owner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(service.id, appPrincipalId, serviceOwnerRole)
  scope: service
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceOwnerRole)
  }
}

output name string = service.name
output serviceUri string = 'https://${service.properties.hostName}'
