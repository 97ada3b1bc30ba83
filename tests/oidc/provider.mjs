// A real OpenID provider for Northstar's SSO tests: the certified `oidc-provider` package, with a
// password login page of its own, one confidential client (PKCE required) and a signing key made
// at start-up. tests/oidc/provider.py starts it on a free port and drives it.
//
//   node provider.mjs <port> <config.json>
// config.json: {"redirect_uris": [...], "post_logout_redirect_uris": [...]}
//
// Test-only control endpoints (this process exists only inside a test):
//   PUT  /__test/users   {"<login>": {"password", "sub", "email", "name", "groups": [...]}}
//   PUT  /__test/fault   {"id_token": null | "tampered" | "wrong_audience" | "expired" | "wrong_issuer"}
// A fault changes the next ID tokens the token endpoint hands out: "tampered" edits the signed
// payload (another subject) and keeps the signature; the others re-sign with the provider's own
// key, so only the named claim is wrong.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;
let users = {};
let fault = null;

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const findUser = (sub) => Object.values(users).find((user) => user.sub === sub);

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'northstar',
    client_secret: 'northstar-test-secret',  // pragma: allowlist secret
    redirect_uris: config.redirect_uris,
    post_logout_redirect_uris: config.post_logout_redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  features: {
    devInteractions: { enabled: false },
    // The provider's own "sign out?" page, without the default's web font (tests run offline).
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page(`<h1>Sign out of the test IdP?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
    },
  },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, sub) {
    const user = findUser(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub, email: user.email, email_verified: true, name: user.name,
          preferred_username: user.email, groups: user.groups,
        };
      },
    };
  },
  // First-party client: consent is implied, as a company IdP configures its own apps.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<h1>Provider error</h1><p id="error">${out.error}: ${out.error_description}</p>`;
  },
});
provider.proxy = false;

async function faulty(idToken) {
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  if (fault === 'tampered') {
    const forged = { ...claims, sub: 'someone-else' };
    return [header, Buffer.from(JSON.stringify(forged)).toString('base64url'), signature].join('.');
  }
  const now = Math.floor(Date.now() / 1000);
  const changed = {
    wrong_audience: { aud: 'another-application' },
    expired: { iat: now - 7200, exp: now - 3600 },
    wrong_issuer: { iss: 'http://127.0.0.1:1/not-the-issuer' },
  }[fault];
  return new jose.SignJWT({ ...claims, ...changed })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .sign(privateKey);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && fault && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await faulty(ctx.body.id_token) };
  }
});

const page = (body) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Test IdP sign-in</title></head><body><main>${body}</main></body></html>`;
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return Object.fromEntries(new URLSearchParams(raw));
}

async function readJson(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return JSON.parse(raw || 'null');
}

function loginForm(uid, error) {
  return page(`<h1>Test IdP</h1>${error ? `<p id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}">
<label>Username <input name="login" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in to the IdP</button></form>`);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {  // consent is granted by loadExistingGrant
    return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(loginForm(uid));
  }
  const { login, password } = await readForm(req);
  const user = users[login];
  if (!user || user.password !== password) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(loginForm(uid, 'Wrong username or password'));
  }
  return provider.interactionFinished(req, res, { login: { accountId: user.sub } });
}

const handler = provider.callback();
createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/__test/users' && req.method === 'PUT') {
      users = await readJson(req);
      res.writeHead(204);
      return res.end();
    }
    if (url.pathname === '/__test/fault' && req.method === 'PUT') {
      fault = (await readJson(req)).id_token;
      res.writeHead(204);
      return res.end();
    }
    const match = url.pathname.match(/^\/interaction\/([\w-]+)$/);
    if (match) return await interaction(req, res, match[1]);
    return handler(req, res);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    return res.end(String(error));
  }
}).listen(Number(port), '127.0.0.1', () => console.log(`listening ${issuer}`));
