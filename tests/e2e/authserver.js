#!/usr/bin/env node
// OAuth2 authorization server for the refresh tests: oauth2-mock-server 8.2.3
// (its OAuth2Server class, over HTTPS) extended through its hooks, plus a thin
// wrapper in front of its express app for the admin endpoints, the Dovecot
// introspection adapter and the response delay.
//
// Usage:
//   node authserver.js PORT (--tls-dir DIR | --cert FILE --key FILE) [options]
//
//   PORT                 TCP port on 127.0.0.1 (0: let the kernel pick one)
//   --tls-dir DIR        use DIR/server.pem and DIR/server-key.pem (make-ca.sh)
//   --cert FILE, --key FILE   server certificate / key (PEM), instead of --tls-dir
//   --strict-rotation    each refresh token works once; a used one -> invalid_grant
//                        (default: old refresh tokens stay valid, like Microsoft;
//                        every response still carries a NEW refresh_token)
//   --client-secret S    token requests must carry client_secret=S (form field, or
//                        HTTP Basic password), else 401 {"error":"invalid_client"}
//   --access-ttl N       access token lifetime / expires_in in seconds (default 3600)
//   --delay-ms N         hold every token request N ms before answering (default 0)
//   --scope S            scope granted by /admin/seed when none given (default "mail")
//   --default-user U     user for the authorization_code grant when /authorize had
//                        no login_hint (default alice@example.com)
//   --token-size N       pad every access token to about N characters (a "pad"
//                        claim), as long as real providers' tokens (default: none)
//
// Prints "listening PORT" on stdout when ready; one line per request on stderr
// (tokens shortened to their first 6 characters). Exits 0 on SIGTERM/SIGINT.
// Issuer: https://127.0.0.1:PORT. Tokens are RS256 JWTs signed with a key
// generated at start-up (a restarted server rejects old tokens).
//
// Endpoints (all on the same HTTPS port):
//   POST /token          oauth2-mock-server's token endpoint (form-encoded, RFC 6749).
//                        grant_type=refresh_token&refresh_token=R&client_id=C
//                        [&client_secret=S][&scope=...]:
//                          200 {"access_token":JWT,"token_type":"Bearer","expires_in":TTL,
//                               "refresh_token":NEW,"scope":"..."}
//                          400 {"error":"invalid_grant","error_description":"..."}: unknown,
//                              revoked, already used (--strict-rotation), or issued to
//                              another client_id
//                          400 {"error":"invalid_scope",...}: scope beyond the granted one
//                          401 {"error":"invalid_client",...}: wrong/missing secret
//                        Other grants (authorization_code + PKCE, password,
//                        client_credentials) are the mock's own, with the same
//                        user/TTL/refresh-token bookkeeping. Refresh tokens look like
//                        Google's ("1//0...") and always contain '/' and '+': a client
//                        that does not form-encode them gets invalid_grant.
//   GET  /authorize, /jwks, /.well-known/openid-configuration, /userinfo, ...: the mock's.
//                        /authorize?login_hint=U makes the code (and its tokens) U's;
//                        the scope asked there is the one granted. No login page: it
//                        redirects at once with ?code=...&state=...
//   POST /introspect     the mock's (JSON body {"token":...} only), answered as below.
//   POST /dovecot-introspect  form body token=...&client_id=&client_secret= (Dovecot
//                        introspection_mode = post; a JSON body works too)
//                          -> {"active":true,"username":U,"sub":U,"scope":...,"exp":...}
//                             for a JWT signed by this server, unexpired, not revoked;
//                             else {"active":false}
//   POST /admin/seed     {"user":U,"ttl":S,"scope":"...","client_id":"..."} (all but user
//                        optional; ttl may be <= 0 for an already expired token) ->
//                        {"refresh_token","access_token","expires_at","expires_in",
//                         "user","scope","token_type"}
//   GET  /admin/stats    {"token_requests","refresh_ok","refresh_failed",
//                         "max_concurrent_token_requests","introspect_requests",
//                         "introspect_active","seeded"}
//   POST /admin/reset-stats  zeroes the counters -> {"ok":true}
//   POST /admin/config   {"strict":bool,"delay_ms":N,"ttl":N,"client_secret":S|null}
//                        (any subset) -> the whole config; GET /admin/config reads it
//   POST /admin/revoke   {"access_token":T} (introspection says inactive from now on)
//                        and/or {"refresh_token":R} (refresh -> invalid_grant)
//                        -> {"revoked":N}
//   GET  /admin/keys     [{"kid","alg","pem"}]: the signing keys' public PEMs (e.g. for
//                        Dovecot's local JWT validation)
// Access tokens: claims iss, iat, nbf (iat-10), exp, sub=username=U, scope, jti
// (+client_id). The id_token has sub=U, and email=U when the granted scope holds
// "email". /admin/seed's ttl defaults to the current TTL. --client-secret
// applies to every grant. A refresh response has no id_token unless the scope
// holds "openid".
//
// oauth2-mock-server 8.2.3 as found in its dist/ code (the reasons for the
// wrapper): it is ESM only (loaded with import()); new OAuth2Server(KEYFILE,
// CERTFILE) takes file paths, key first; the class generates no signing key
// (the CLI does); its refresh grant accepts any refresh token and always says
// sub "johndoe", expires_in 3600; its hooks are synchronous (no delay
// possible there); unknown paths end in its 404 handler (no place for extra
// routes); unknown grant types get 400 {"error":"invalid_grant"}.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const querystring = require('querystring');

const USAGE = 'usage: authserver.js PORT (--tls-dir DIR | --cert FILE --key FILE) ' +
  '[--strict-rotation] [--client-secret S] [--access-ttl N] [--delay-ms N] ' +
  '[--scope S] [--default-user U]';

function die(msg) {
  process.stderr.write(`authserver: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    port: undefined, cert: undefined, key: undefined, strict: false,
    clientSecret: null, ttl: 3600, delayMs: 0, scope: 'mail',
    defaultUser: 'alice@example.com',
  };
  const int = (name, v) => {
    if (v === undefined || !/^-?\d+$/.test(v)) die(`${name} needs an integer\n${USAGE}`);
    return parseInt(v, 10);
  };
  const val = (name, v) => {
    if (v === undefined) die(`${name} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--tls-dir': {
        const d = val(a, argv[++i]);
        o.cert = path.join(d, 'server.pem');
        o.key = path.join(d, 'server-key.pem');
        break;
      }
      case '--cert': o.cert = val(a, argv[++i]); break;
      case '--key': o.key = val(a, argv[++i]); break;
      case '--strict-rotation': o.strict = true; break;
      case '--client-secret': o.clientSecret = val(a, argv[++i]); break;
      case '--access-ttl': o.ttl = int(a, argv[++i]); break;
      case '--delay-ms': o.delayMs = int(a, argv[++i]); break;
      case '--scope': o.scope = val(a, argv[++i]); break;
      case '--default-user': o.defaultUser = val(a, argv[++i]); break;
      case '--token-size': o.tokenSize = int(a, argv[++i]); break;
      case '-h': case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        if (/^\d+$/.test(a) && o.port === undefined) o.port = parseInt(a, 10);
        else die(`unexpected argument '${a}'\n${USAGE}`);
    }
  }
  if (o.port === undefined || o.port > 65535) die(USAGE);
  if (!o.cert || !o.key) die(`HTTPS only: give --tls-dir or --cert and --key\n${USAGE}`);
  for (const f of [o.cert, o.key]) {
    try { fs.accessSync(f, fs.constants.R_OK); } catch (e) { die(`cannot read ${f}: ${e.message}`); }
  }
  if (o.delayMs < 0) o.delayMs = 0;
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const cfg = {
  strict: opts.strict,
  delay_ms: opts.delayMs,
  ttl: opts.ttl,
  client_secret: opts.clientSecret,
};

// ----- helpers -------------------------------------------------------------

function short(t) {
  if (typeof t !== 'string' || t.length === 0) return '(none)';
  return t.length > 6 ? `${t.slice(0, 6)}...` : t;
}

function log(msg) {
  process.stderr.write(`${new Date().toISOString()} authserver: ${msg}\n`);
}

function now() {
  return Math.floor(Date.now() / 1000);
}

// Refresh tokens shaped like Google's ("1//0" + base64), with a '+' and '/'
// always present so that a client which forgets to form-encode fails.
function newRefreshToken() {
  const a = crypto.randomBytes(24).toString('base64url');
  const b = crypto.randomBytes(9).toString('base64url');
  return `1//0${a}+${b}`;
}

function scopeSet(s) {
  return new Set(String(s || '').split(/\s+/).filter(Boolean));
}

function sendJson(res, code, obj, headers) {
  const body = JSON.stringify(obj);
  res.writeHead(code, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...(headers || {}),
  });
  res.end(body);
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonBody(raw) {
  if (raw.trim() === '') return {};
  const v = JSON.parse(raw);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
  return v;
}

function basicCredentials(req) {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(String(req.headers.authorization || ''));
  if (!m) return undefined;
  const s = Buffer.from(m[1], 'base64').toString('utf8');
  const i = s.indexOf(':');
  if (i < 0) return undefined;
  const dec = (x) => {
    try { return decodeURIComponent(x.replace(/\+/g, ' ')); } catch (e) { return x; }
  };
  // RFC 6749 2.3.1: client_id and secret are form-encoded inside Basic
  return { name: dec(s.slice(0, i)), pass: dec(s.slice(i + 1)) };
}

// ----- state ----------------------------------------------------------------

const refreshTokens = new Map(); // token -> {user, scope, clientId, used, revoked}
const revokedJti = new Set();
const codeUsers = new Map(); // authorization code -> {user, scope}
const tokenCtx = new WeakMap(); // token request -> evaluation result
let inflight = 0;

function zeroStats() {
  return {
    token_requests: 0,
    refresh_ok: 0,
    refresh_failed: 0,
    max_concurrent_token_requests: 0,
    introspect_requests: 0,
    introspect_active: 0,
    seeded: 0,
  };
}
let stats = zeroStats();

// --token-size: a base64url JWT grows by 4/3 of its payload.
function pad(payload) {
  const n = Math.trunc(((opts.tokenSize || 0) - 700) * 3 / 4);
  if (n > 0) payload.pad = 'p'.repeat(n);
}

function issueRefresh(user, scope, clientId) {
  const t = newRefreshToken();
  refreshTokens.set(t, { user, scope, clientId: clientId || undefined, used: false, revoked: false });
  return t;
}

function err(status, error, description) {
  return { ok: false, status, body: { error, error_description: description } };
}

// Decides a token request once (called from the first hook that sees it).
function evaluateTokenRequest(req) {
  const body = req.body || {};
  const grant = body.grant_type;
  const basic = basicCredentials(req);
  const clientId = basic ? basic.name : body.client_id;
  if (cfg.client_secret !== null && cfg.client_secret !== undefined) {
    const secret = basic ? basic.pass : body.client_secret;
    if (secret !== cfg.client_secret) {
      const r = err(401, 'invalid_client', secret === undefined
        ? 'client authentication required: no client_secret'
        : 'client authentication failed: wrong client_secret');
      r.headers = { 'WWW-Authenticate': 'Basic realm="token"' };
      return r;
    }
  }
  switch (grant) {
    case 'refresh_token': {
      const rt = body.refresh_token;
      if (typeof rt !== 'string' || rt === '') {
        return err(400, 'invalid_request', 'missing refresh_token');
      }
      const rec = refreshTokens.get(rt);
      if (!rec) return err(400, 'invalid_grant', 'unknown refresh token');
      if (rec.revoked) return err(400, 'invalid_grant', 'refresh token has been revoked');
      if (rec.used && cfg.strict) {
        return err(400, 'invalid_grant', 'refresh token was already used (rotation)');
      }
      if (rec.clientId !== undefined && clientId !== undefined && clientId !== rec.clientId) {
        return err(400, 'invalid_grant', 'refresh token was issued to another client');
      }
      let scope = rec.scope;
      if (typeof body.scope === 'string' && body.scope.trim() !== '') {
        const granted = scopeSet(rec.scope);
        const extra = [...scopeSet(body.scope)].filter((s) => !granted.has(s));
        if (extra.length) {
          return err(400, 'invalid_scope', `scope not granted: ${extra.join(' ')}`);
        }
        scope = body.scope.trim();
      }
      rec.used = true;
      return {
        ok: true, grant, user: rec.user, scope,
        refresh: issueRefresh(rec.user, rec.scope, rec.clientId ?? clientId),
      };
    }
    case 'authorization_code': {
      const rec = codeUsers.get(body.code) || {};
      codeUsers.delete(body.code);
      const user = rec.user || opts.defaultUser;
      const scope = typeof body.scope === 'string' ? body.scope : (rec.scope || opts.scope);
      return { ok: true, grant, user, scope, refresh: issueRefresh(user, scope, clientId) };
    }
    case 'password': {
      const user = String(body.username || opts.defaultUser);
      const scope = typeof body.scope === 'string' ? body.scope : opts.scope;
      return { ok: true, grant, user, scope, refresh: issueRefresh(user, scope, clientId) };
    }
    default: // client_credentials (no refresh token), anything else is the mock's
      return { ok: true, grant, user: clientId || 'client', scope: body.scope, refresh: undefined };
  }
}

function ctxFor(req) {
  let c = tokenCtx.get(req);
  if (!c) {
    c = evaluateTokenRequest(req);
    tokenCtx.set(req, c);
  }
  return c;
}

// ----- JWT verification (for introspection) ---------------------------------

const HASH = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' };

function b64json(s) {
  return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
}

function decodeJwt(token) {
  if (typeof token !== 'string') return null;
  const p = token.split('.');
  if (p.length !== 3) return null;
  try {
    return { header: b64json(p[0]), payload: b64json(p[1]), parts: p };
  } catch (e) {
    return null;
  }
}

// {user, payload} for an active token of ours, else {reason}.
function checkAccessToken(server, token) {
  const d = decodeJwt(token);
  if (!d) return { reason: 'not a JWT' };
  const { header, payload, parts } = d;
  const hash = HASH[header.alg];
  if (!hash) return { reason: `alg ${header.alg}` };
  const jwk = server.issuer.keys.toJSON().find((k) => k.kid === header.kid);
  if (!jwk) return { reason: 'unknown kid' };
  let good = false;
  try {
    const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    good = crypto.verify(hash, Buffer.from(`${parts[0]}.${parts[1]}`), key,
      Buffer.from(parts[2], 'base64url'));
  } catch (e) {
    good = false;
  }
  if (!good) return { reason: 'bad signature' };
  if (payload.iss !== server.issuer.url) return { reason: 'other issuer' };
  const t = now();
  if (typeof payload.exp !== 'number' || payload.exp <= t) return { reason: 'expired' };
  if (typeof payload.nbf === 'number' && payload.nbf > t) return { reason: 'not yet valid' };
  if (payload.jti && revokedJti.has(payload.jti)) return { reason: 'revoked' };
  const user = payload.username || payload.sub;
  if (typeof user !== 'string' || user === '') return { reason: 'no user' };
  return { user, payload };
}

// ----- main -----------------------------------------------------------------

async function main() {
  let mock;
  try {
    mock = await import('oauth2-mock-server');
  } catch (e) {
    die(`cannot load oauth2-mock-server (${e.message}); run: npm ci --prefix ${__dirname}`);
  }
  // 8.2.3 takes the key and cert as FILE PATHS (it readFileSync()s them), key first.
  const server = new mock.OAuth2Server(opts.key, opts.cert);
  // The OAuth2Server class starts with an empty key store (only its CLI adds one).
  await server.issuer.keys.generate('RS256');
  const service = server.service;

  // -- hooks --

  // /authorize: remember whose code it is (the mock has no login page).
  service.on('beforeAuthorizeRedirect', (redirect, req) => {
    const code = redirect.url.searchParams.get('code');
    if (code) {
      const q = req.query || {};
      codeUsers.set(code, {
        user: (typeof q.login_hint === 'string' && q.login_hint) || opts.defaultUser,
        scope: typeof q.scope === 'string' && q.scope ? q.scope : undefined,
      });
    }
  });

  // Claims of every token the token endpoint signs (access token, then id_token).
  service.on('beforeTokenSigning', (token, req) => {
    const c = ctxFor(req);
    if (!c.ok) return;
    const p = token.payload;
    p.sub = c.user;
    if ('scope' in p) { // the access token (the id_token has no scope)
      p.exp = p.iat + cfg.ttl;
      p.username = c.user;
      p.scope = c.scope;
      p.jti = crypto.randomUUID();
      pad(p);
      const cid = (req.body && req.body.client_id) || undefined;
      if (cid) p.client_id = cid;
    } else if (scopeSet(c.scope).has('email')) {
      p.email = c.user; // the id_token, for a scope with OpenID's "email"
    }
  });

  // Status and body of every token endpoint answer.
  service.on('beforeResponse', (response, req) => {
    const c = ctxFor(req);
    if (!c.ok) {
      response.statusCode = c.status;
      response.body = c.body;
      if (c.headers && req.res) req.res.set(c.headers);
      return;
    }
    const b = response.body;
    b.expires_in = cfg.ttl;
    if (c.scope !== undefined) b.scope = c.scope;
    if (c.refresh !== undefined) b.refresh_token = c.refresh;
    if (c.grant === 'refresh_token' && !scopeSet(c.scope).has('openid')) delete b.id_token;
  });

  // The mock's /introspect (and /dovecot-introspect, routed there below).
  service.on('beforeIntrospect', (response, req) => {
    let token = req.body && req.body.token;
    if (Array.isArray(token)) token = token[0];
    stats.introspect_requests++;
    const r = checkAccessToken(server, token);
    if (r.user) {
      stats.introspect_active++;
      response.body = {
        active: true, username: r.user, sub: r.user, scope: r.payload.scope,
        exp: r.payload.exp, iat: r.payload.iat, token_type: 'Bearer', iss: r.payload.iss,
      };
      req.introspectNote = `active user=${r.user}`;
    } else {
      response.body = { active: false };
      req.introspectNote = `inactive (${r.reason})`;
    }
    response.statusCode = 200;
  });

  // -- admin endpoints --

  async function seed(b) {
    if (typeof b.user !== 'string' || b.user === '') throw new Error('"user" (string) is required');
    const ttl = b.ttl === undefined ? cfg.ttl : Number(b.ttl);
    if (!Number.isFinite(ttl)) throw new Error('"ttl" must be a number');
    const scope = typeof b.scope === 'string' ? b.scope : opts.scope;
    const clientId = typeof b.client_id === 'string' ? b.client_id : undefined;
    let exp;
    const accessToken = await server.issuer.buildToken({
      expiresIn: Math.trunc(ttl),
      scopesOrTransform: (_h, p) => {
        Object.assign(p, { sub: b.user, username: b.user, scope, jti: crypto.randomUUID() });
        pad(p);
        if (clientId) p.client_id = clientId;
        exp = p.exp;
      },
    });
    const refreshToken = issueRefresh(b.user, scope, clientId);
    stats.seeded++;
    return {
      refresh_token: refreshToken, access_token: accessToken, expires_at: exp,
      expires_in: Math.trunc(ttl), token_type: 'Bearer', user: b.user, scope,
    };
  }

  function setConfig(b) {
    if ('strict' in b) cfg.strict = Boolean(b.strict);
    for (const k of ['delay_ms', 'ttl']) {
      if (k in b) {
        const v = Number(b[k]);
        if (!Number.isFinite(v)) throw new Error(`"${k}" must be a number`);
        cfg[k] = k === 'delay_ms' ? Math.max(0, Math.trunc(v)) : Math.trunc(v);
      }
    }
    if ('client_secret' in b) {
      if (b.client_secret !== null && typeof b.client_secret !== 'string') {
        throw new Error('"client_secret" must be a string or null');
      }
      cfg.client_secret = b.client_secret;
    }
  }

  function publicConfig() {
    return { ...cfg, client_secret: cfg.client_secret === null ? null : '(set)' };
  }

  async function admin(req, res, p) {
    const m = req.method;
    let b = {};
    if (m === 'POST') b = parseJsonBody(await readBody(req, 65536));
    if (m === 'POST' && p === '/admin/seed') {
      const r = await seed(b);
      log(`seed user=${r.user} ttl=${r.expires_in} rt=${short(r.refresh_token)} at=${short(r.access_token)}`);
      return sendJson(res, 200, r);
    }
    if (m === 'GET' && p === '/admin/stats') return sendJson(res, 200, stats);
    if (m === 'POST' && p === '/admin/reset-stats') {
      stats = zeroStats();
      return sendJson(res, 200, { ok: true });
    }
    if (p === '/admin/config' && (m === 'GET' || m === 'POST')) {
      if (m === 'POST') {
        setConfig(b);
        log(`config strict=${cfg.strict} delay_ms=${cfg.delay_ms} ttl=${cfg.ttl} ` +
          `client_secret=${cfg.client_secret === null ? 'none' : 'set'}`);
      }
      return sendJson(res, 200, publicConfig());
    }
    if (m === 'POST' && p === '/admin/revoke') {
      let n = 0;
      if (typeof b.access_token === 'string') {
        const d = decodeJwt(b.access_token);
        if (!d || typeof d.payload.jti !== 'string') throw new Error('access_token is not one of our JWTs');
        revokedJti.add(d.payload.jti);
        n++;
      }
      if (typeof b.refresh_token === 'string') {
        const rec = refreshTokens.get(b.refresh_token);
        if (rec) { rec.revoked = true; n++; }
      }
      if (n === 0 && b.access_token === undefined && b.refresh_token === undefined) {
        throw new Error('give "access_token" and/or "refresh_token"');
      }
      log(`revoke at=${short(b.access_token)} rt=${short(b.refresh_token)} -> ${n}`);
      return sendJson(res, 200, { revoked: n });
    }
    if (m === 'GET' && p === '/admin/keys') {
      return sendJson(res, 200, server.issuer.keys.toJSON().map((k) => ({
        kid: k.kid, alg: k.alg,
        pem: crypto.createPublicKey({ key: k, format: 'jwk' }).export({ type: 'spki', format: 'pem' }),
      })));
    }
    return sendJson(res, 404, { error: 'not_found' });
  }

  // -- the thin wrapper: express calls app.handle() for every request --

  const app = service.requestHandler;
  const mockHandle = app.handle;
  const forward = (req, res, next) => mockHandle.call(app, req, res, next);

  app.handle = (req, res, next) => {
    const p = (req.url || '/').split('?')[0];
    const t0 = Date.now();

    if (p.startsWith('/admin/')) {
      admin(req, res, p).catch((e) => {
        log(`${req.method} ${p} -> 400 ${e.message}`);
        if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request', error_description: e.message });
      });
      return undefined;
    }

    if (p === '/dovecot-introspect') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' });
      readBody(req, 65536).then((raw) => {
        const ct = String(req.headers['content-type'] || '');
        let body;
        try {
          body = ct.includes('json') ? parseJsonBody(raw) : querystring.parse(raw);
        } catch (e) {
          body = {};
        }
        req.body = body; // body-parser skips a request whose body was read
        res.on('finish', () => log(`POST ${p} token=${short(body.token)} -> ` +
          `${res.statusCode} ${req.introspectNote || ''}`));
        req.originalUrl = req.url;
        req.url = '/introspect';
        forward(req, res, next);
      }, () => sendJson(res, 413, { error: 'too_large' }));
      return undefined;
    }

    if (p === '/introspect' && req.method === 'POST') {
      res.on('finish', () => log(`POST ${p} token=${short(req.body && req.body.token)} -> ` +
        `${res.statusCode} ${req.introspectNote || ''}`));
      return forward(req, res, next);
    }

    if (p === '/token' && req.method === 'POST') {
      stats.token_requests++;
      inflight++;
      stats.max_concurrent_token_requests = Math.max(stats.max_concurrent_token_requests, inflight);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        inflight--;
        const b = req.body || {};
        const c = tokenCtx.get(req);
        if (b.grant_type === 'refresh_token') {
          if (res.statusCode === 200) stats.refresh_ok++;
          else stats.refresh_failed++;
        }
        let note = '';
        if (c && c.ok) note = `user=${c.user} new_rt=${short(c.refresh)}`;
        else if (c) note = `${c.body.error}: ${c.body.error_description}`;
        log(`POST /token grant=${b.grant_type || '-'} client_id=${b.client_id || '-'} ` +
          `rt=${short(b.refresh_token)} -> ${res.statusCode} ${note} (${Date.now() - t0} ms)`);
      };
      res.on('finish', finish);
      res.on('close', finish);
      if (cfg.delay_ms > 0) {
        setTimeout(() => forward(req, res, next), cfg.delay_ms);
        return undefined;
      }
      return forward(req, res, next);
    }

    res.on('finish', () => log(`${req.method} ${p} -> ${res.statusCode}`));
    return forward(req, res, next);
  };

  server.issuer.url = `https://127.0.0.1:${opts.port}`; // overwritten below for port 0
  await server.start(opts.port, '127.0.0.1');
  const port = server.address().port;
  server.issuer.url = `https://127.0.0.1:${port}`;
  log(`issuer ${server.issuer.url} strict=${cfg.strict} ttl=${cfg.ttl} delay_ms=${cfg.delay_ms} ` +
    `client_secret=${cfg.client_secret === null ? 'none' : 'set'}`);
  process.stdout.write(`listening ${port}\n`);

  let stopping = false;
  const stop = (sig) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    setTimeout(() => process.exit(0), 300).unref();
    server.stop().then(() => process.exit(0), () => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`authserver: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
