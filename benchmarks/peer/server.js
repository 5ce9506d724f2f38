// The benchmark's peer (docs/performance.md): node oidc-provider with its in-memory adapter, one
// client authenticating with client_secret_basic, opaque client-credentials access tokens and
// RFC 7662 introspection on, nothing else. One node process: the in-memory adapter is per process,
// so a cluster could not introspect the tokens another worker issued.
//
//   PEER_PORT=5100 PEER_CLIENT_ID=bench PEER_CLIENT_SECRET=... node server.js
//
// The secret comes from the environment, never the command line. Listens on 127.0.0.1 only.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.env.PEER_PORT || 5100);
const clientId = process.env.PEER_CLIENT_ID;
const clientSecret = process.env.PEER_CLIENT_SECRET;
const scope = process.env.PEER_SCOPE || 'models:read';
if (!clientId || !clientSecret) {
  console.error('peer: PEER_CLIENT_ID and PEER_CLIENT_SECRET are required');
  process.exit(2);
}

const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope,
      // The only signing key is an EC key (the default, RS256, would need an RSA one).
      id_token_signed_response_alg: 'ES256',
    },
  ],
  scopes: [scope],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
    // No resource indicator is sent, so tokens are opaque (a JWT format needs a resource server).
    resourceIndicators: { enabled: false },
  },
  ttl: { ClientCredentials: 3600 },
  jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'ES256' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`peer: oidc-provider listening on http://127.0.0.1:${port}`);
});
