// App Service Authentication (Easy Auth) with Microsoft Entra ID, from an
// existing app registration's client id and no client secret. It sets the
// x-ms-client-principal-name header negotiate uses as the user id. The paths
// Easy Auth must not guard are excluded: the extension's webhook (guarded by
// the webpubsub_extension system key) and the function-key routes.

@description('Name of the function app.')
param appName string

@description('Client id of the Entra app registration users sign in to.')
param clientId string

@description('Paths Easy Auth lets through without a signed-in user.')
param excludedPaths array

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: appName
}

resource auth 'Microsoft.Web/sites/config@2024-11-01' = {
  // checkov runs its web-config checks on every Microsoft.Web/sites/config,
  // whatever its name; each wants a property of another config or of the site:
  // checkov:skip=CKV_AZURE_13: reads the retired authsettings (V1) shape, properties.enabled; authsettingsV2 turns Easy Auth on with platform.enabled: true, set below.
  // checkov:skip=CKV_AZURE_63: wants httpLoggingEnabled, a property of the site's web config (App Service web-server logs), which this authsettingsV2 config cannot carry; requests are logged to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING).
  // checkov:skip=CKV_AZURE_65: wants detailedErrorLoggingEnabled, a web-config property this authsettingsV2 config cannot carry; function errors reach Application Insights.
  // checkov:skip=CKV_AZURE_66: wants requestTracingEnabled (failed-request tracing, a web-config property) which this authsettingsV2 config cannot carry; Application Insights records failed requests.
  // checkov:skip=CKV_AZURE_80: wants netFrameworkVersion v8.0, a .NET setting; this app runs Python 3.13 (functionAppConfig.runtime in functionapp.bicep).
  // checkov:skip=CKV_AZURE_88: wants azureStorageAccounts (Azure Files mounts); the app keeps no files: its package is in a blob container (functionAppConfig.deployment) and it mounts nothing.
  // checkov:skip=CKV_AZURE_222: wants publicNetworkAccess Disabled, a site property this authsettingsV2 config cannot carry; the site is public on purpose (see its skip in functionapp.bicep).
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: excludedPaths
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${clientId}'
            clientId
          ]
        }
      }
    }
    login: {
      // On because the browser client reads /.auth/me (web/chat.js) to show
      // who is signed in, and App Service serves /.auth/me only with the token
      // store on (MicrosoftDocs/azure-docs,
      // articles/app-service/configure-authentication-oauth-tokens.md). With no
      // client secret it holds the ID token only. Negotiate itself reads only
      // the x-ms-client-principal-name header.
      tokenStore: {
        enabled: true
      }
    }
  }
}
