// The host's storage account, the deployment package container and the chat
// history's table, reached only by identity: shared-key access is off (Flex
// Consumption supports identity for both AzureWebJobsStorage and deployment
// storage; the app reads its ChatStorage__* identity settings).

@description('Name of the storage account (3 to 24 lowercase letters and digits).')
param name string

@description('Region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Name of the blob container that holds the deployment package.')
param deploymentContainerName string

@description('Name of the table that keeps the chat history (adapters/tables.py TABLE_NAME).')
param historyTableName string

@description('Principal id of the identity the function app runs as.')
param appPrincipalId string

// The data roles the app's identity gets on this account, each for a user:
// - Storage Blob Data Owner (b7e6dc6d-...): the host keeps its keys, leases
//   and locks in blobs and creates its containers; the platform reads the
//   deployment package from the container (functionAppConfig.deployment).
//   The host's minimum: MicrosoftDocs/azure-docs,
//   includes/functions-azurewebjobsstorage-permissions.md ("No extension
//   (host only)").
// - Storage Table Data Contributor (0a9a7e1f-...): the chat history reads,
//   writes and deletes its messages in the table below (adapters/tables.py),
//   and the host writes its diagnostic events to tables (same page).
// No Queue role: the host itself uses no queues (Azure/azure-functions-host,
// src/WebJobs.Script/Diagnostics/HealthChecks/WebJobsStorageHealthCheck.cs:
// "The functions host doesn't use queues or tables directly"); only blob
// triggers and Durable Functions need them, and this app has neither.
// Microsoft's Flex Consumption Python HTTP sample leaves queue access off too
// (Azure-Samples/functions-quickstart-python-http-azd, infra/main.bicep:
// enableQueue false, "Required for Durable Functions and MCP trigger").
var roles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: wants networkAcls.defaultAction Deny; without virtual network integration and private endpoints (none here) the Flex host reaches this account over its public endpoint, so Deny would cut it off. Compensates: shared-key access off, so only Entra identities holding a data role get in.
  // checkov:skip=CKV_AZURE_59: wants publicNetworkAccess Disabled; same reason as CKV_AZURE_35 (no virtual network here), same compensation (identity only, shared key off).
  // checkov:skip=CKV_AZURE_206: wants geo-replication (GRS/GZRS); LRS on purpose: host state and the deployment package are rebuilt by azd deploy, and the chat history kept here is short-lived (ChatHistoryDays, 30 by default). Geo-replication would not keep the chat writing through a regional outage (writes go to the primary region until a failover), only save the history from a regional disaster: choose Standard_GZRS when that history matters.
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

// The chat history's table: one partition per room (adapters/tables.py). The
// app reaches it by identity and never creates it (a cold start would pay a
// round trip for it), so the deployment does.
resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource historyTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: historyTableName
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
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
