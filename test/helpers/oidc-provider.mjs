// A real OpenID Connect provider (oidc-provider) for the SSO tests, in its own process (it is an ES
// module, and a bank's provider is another server anyway). Environment: PORT, ISSUER, CLIENT_ID,
// CLIENT_SECRET, REDIRECT_URI. Who "signs in" at the provider is set by the test beforehand with
// POST /__test/next-login {sub, email, email_verified}; the login and consent steps then complete
// by themselves, as a person who clicks "Sign in" and "Allow" would. Prints READY when it listens.
import http from 'node:http';
import Provider from 'oidc-provider';

const { PORT, ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;
const accounts = new Map();
let next = null;

const provider = new Provider(ISSUER, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false,
  cookies: { keys: ['sso-test-cookie-key-0123456789'] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    const a = accounts.get(sub);
    if (!a) return undefined;
    return { accountId: sub, claims: () => ({ sub, email: a.email, email_verified: a.email_verified, name: a.email }) };
  },
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    if (!next) {
      res.statusCode = 400;
      return res.end('no login prepared by the test');
    }
    accounts.set(next.sub, next);
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: next.sub } },
      { mergeWithLastSubmission: false },
    );
  }
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
http
  .createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/__test/next-login') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        next = JSON.parse(body);
        res.statusCode = 204;
        res.end();
      });
      return;
    }
    if (req.url.startsWith('/interaction/')) {
      interaction(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    callback(req, res);
  })
  .listen(Number(PORT), '127.0.0.1', () => process.stdout.write('READY\n'));
