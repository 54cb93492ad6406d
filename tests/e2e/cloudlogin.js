#!/usr/bin/env node
// Microsoft's sign-in hosts for the client credentials grant, as far as an
// app-only setup meets them, for test_app_clouds.sh: the test runs it on
// 127.0.0.1:443 inside a private network namespace where a private
// /etc/hosts maps the clouds' sign-in hosts to 127.0.0.1, with a
// certificate from the suite's test CA naming those hosts.
//
// Usage:
//   node cloudlogin.js --cert FILE --key FILE --record FILE --secret S [--port N]
//
// POST /TENANT/oauth2/v2.0/token (form-encoded), as Entra answers it:
//   - client_secret must be S, or a client_assertion (a JWT; its signature
//     is not checked here) must be sent, else 401 invalid_client AADSTS7000215;
//   - grant_type must be client_credentials, else 400 unsupported_grant_type;
//   - the scope must be exactly one RESOURCE/.default, else 400 invalid_scope
//     AADSTS1002012 (the client credentials grant refuses delegated scopes);
//   - RESOURCE must be an Exchange Online resource of a cloud signing in on
//     this host, else 400 invalid_resource AADSTS500011;
//   - then 200 {"token_type":"Bearer","expires_in":3599,"access_token":JWT}
//     whose claims carry aud (the resource), tid, oid, roles: ~1.7 KB, the
//     size of Exchange's app-only tokens.
// Each request, answered or not, appends one line to the record file,
// fields separated by tabs:
//   Host header, TLS SNI, path, grant_type, scope, client_id, the client
//   assertion's aud claim ("-" for none), the HTTP status answered
// Prints "listening PORT" on stdout when ready. Exits 0 on SIGTERM/SIGINT.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const querystring = require('querystring');

// Exchange Online's resource in each cloud, by the sign-in host it trusts.
const RESOURCES = {
  'login.microsoftonline.com': ['https://outlook.office365.com'],
  'login.microsoftonline.us': ['https://outlook.office365.us', 'https://outlook-dod.office365.us'],
  'login.partner.microsoftonline.cn': ['https://partner.outlook.cn'],
};

function parseArgs(argv) {
  const o = { port: 443 };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (v === undefined) die(`${argv[i]} needs a value`);
    switch (argv[i]) {
      case '--cert': o.cert = v; break;
      case '--key': o.key = v; break;
      case '--record': o.record = v; break;
      case '--secret': o.secret = v; break;
      case '--port': o.port = parseInt(v, 10); break;
      default: die(`unknown option ${argv[i]}`);
    }
  }
  if (!o.cert || !o.key || !o.record || !o.secret) die('--cert, --key, --record and --secret are required');
  return o;
}

function die(msg) {
  process.stderr.write(`cloudlogin: ${msg}\n`);
  process.exit(2);
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');

function claimOf(jwt, name) {
  try {
    return JSON.parse(Buffer.from(String(jwt).split('.')[1], 'base64url').toString('utf8'))[name];
  } catch (e) {
    return undefined;
  }
}

// A token shaped like Exchange's app-only JWTs (header, claims, a 2048-bit
// RSA signature's worth of bytes); nobody verifies it in this test.
function accessToken(resource, tenant, clientId) {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256', x5t: b64u(crypto.randomBytes(20)), kid: b64u(crypto.randomBytes(20)) };
  const claims = {
    aud: resource, iss: `https://sts.windows.net/${tenant}/`, iat: now, nbf: now, exp: now + 3599,
    aio: b64u(crypto.randomBytes(96)), app_displayname: 'sasl-oauth2 relay', appid: clientId,
    appidacr: '1', idp: `https://sts.windows.net/${tenant}/`, oid: crypto.randomUUID(),
    rh: b64u(crypto.randomBytes(48)), roles: ['SMTP.SendAsApp', 'IMAP.AccessAsApp', 'POP.AccessAsApp'],
    sid: crypto.randomUUID(), sub: crypto.randomUUID(), tid: crypto.randomUUID(),
    uti: b64u(crypto.randomBytes(16)), ver: '1.0', wids: ['0997a1d0-0d1d-4acb-b408-d5ca73121e90'],
    xms_idrel: '7 8', xms_tcdt: now - 86400 * 400,
  };
  return `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}.${b64u(crypto.randomBytes(256))}`;
}

function refuse(res, status, error, code, text) {
  const trace = crypto.randomUUID();
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({
    error, error_description: `${code}: ${text}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [parseInt(code.slice(6), 10)], trace_id: trace,
  }));
  return status;
}

function answer(req, body, res, opts) {
  const host = String(req.headers.host || '').replace(/:443$/, '').toLowerCase();
  const m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(req.url);
  const f = querystring.parse(body);
  if (req.method !== 'POST' || !m || !RESOURCES[host]) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return 404;
  }
  if (f.client_secret !== opts.secret && !f.client_assertion)
    return refuse(res, 401, 'invalid_client', 'AADSTS7000215', 'Invalid client secret provided.');
  if (f.grant_type !== 'client_credentials')
    return refuse(res, 400, 'unsupported_grant_type', 'AADSTS70003', 'The app requested an unsupported grant type.');
  const scope = String(f.scope || '');
  if (!/^\S+\/\.default$/.test(scope))
    return refuse(res, 400, 'invalid_scope', 'AADSTS1002012', `The provided value for scope ${scope} is not valid. ` +
      'Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).');
  const resource = scope.slice(0, -'/.default'.length);
  if (!RESOURCES[host].includes(resource))
    return refuse(res, 400, 'invalid_resource', 'AADSTS500011', `The resource principal named ${resource} was not found ` +
      `in the tenant named ${m[1]}.`);
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599,
    access_token: accessToken(resource, m[1], String(f.client_id || '')) }));
  return 200;
}

const opts = parseArgs(process.argv.slice(2));
const server = https.createServer({ cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key) }, (req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => { size += c.length; if (size <= 256 * 1024) chunks.push(c); });
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const f = querystring.parse(body);
    const status = answer(req, body, res, opts);
    const aud = f.client_assertion ? claimOf(f.client_assertion, 'aud') : undefined;
    const line = [req.headers.host, req.socket.servername, req.url, f.grant_type, f.scope,
      f.client_id, aud, status].map((v) => (v === undefined || v === '' ? '-' : String(v).replace(/[\t\n]/g, ' ')));
    fs.appendFileSync(opts.record, line.join('\t') + '\n');
  });
});
server.listen(opts.port, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
