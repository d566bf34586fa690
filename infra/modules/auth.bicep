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
      tokenStore: {
        enabled: true
      }
    }
  }
}
