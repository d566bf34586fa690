// The host's storage account and the deployment package container, reached
// only by identity: shared-key access is off (Flex Consumption supports
// identity for both AzureWebJobsStorage and deployment storage).

@description('Name of the storage account (3 to 24 lowercase letters and digits).')
param name string

@description('Region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Name of the blob container that holds the deployment package.')
param deploymentContainerName string

@description('Principal id of the identity the function app runs as.')
param appPrincipalId string

// Storage Blob Data Owner (host leases, deployment package), Queue Data
// Contributor and Table Data Contributor (host state), as the Functions host
// needs for an identity-based AzureWebJobsStorage.
var roles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: Flex Consumption without a virtual network reaches storage over its public endpoint; access is by Entra identity only (shared key off).
  // checkov:skip=CKV_AZURE_59: as above: the public endpoint stays reachable, but only Entra identities with a data role get in.
  // checkov:skip=CKV_AZURE_206: LRS on purpose: it holds only host state and the deployment package, both recreated by azd deploy.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource access 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in roles: {
    name: guid(account.id, appPrincipalId, role)
    scope: account
    properties: {
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
