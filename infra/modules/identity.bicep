// The one user-assigned identity the function app uses for everything:
// storage, deployment storage, Application Insights and Web PubSub.

@description('Name of the identity.')
param name string

@description('Region.')
param location string

@description('Tags for every resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
