#!/usr/bin/env node
// A deliberately misbehaving OAuth2 token endpoint over HTTPS, one behaviour
// per path, for the refresh error-handling tests. No dependencies.
//
// Usage:
//   node badtoken.js PORT (--tls-dir DIR | --cert FILE --key FILE)
//
//   PORT        TCP port on 127.0.0.1 (0: let the kernel pick one)
//   --tls-dir   use DIR/server.pem and DIR/server-key.pem (from make-ca.sh)
//
// Prints "listening PORT" on stdout when ready, one line per request on
// stderr (token values shortened to 6 characters), exits 0 on SIGTERM/SIGINT
// (dropping any connection still held open by /hang).
//
// Paths (POST; the body is read and ignored unless said otherwise):
//   /hang            accepts the request and never answers (connection held open)
//   /huge            200 application/json, a ~10 MiB body
//                    {"access_token":"AAAA...","token_type":"Bearer","expires_in":3600}
//                    streamed in 64 KiB chunks without Content-Length (chunked);
//                    /huge?cl=1 sends a Content-Length header instead
//   /html            200 text/html: a sign-in page (what a captive portal or a
//                    wrong URL gives)
//   /badjson         200 application/json, truncated: {"access_token": "x",
//   /429             429 {"error":"too_many_requests",...}, Retry-After: 30
//   /500             500 text/html error page
//   /503             503 text/plain "Service Unavailable", Retry-After: 5
//   /invalid_grant   400 {"error":"invalid_grant","error_description":"AADSTS70000: The
//                    provided value for the 'refresh_token' is not valid."}
//   /missing_fields  200 {"token_type":"Bearer"}
//   /no_expires_in   200 {"access_token":"abc","token_type":"Bearer"}
//   /aadsts/CODE     400, Microsoft's body for that AADSTS code (error, error_description
//                    "AADSTS<CODE>: <text>\r\nTrace ID: ...\r\nCorrelation ID: ...\r\n
//                    Timestamp: ...", error_codes [CODE], timestamp, trace_id,
//                    correlation_id, error_uri, suberror when Microsoft sends one):
//                      700082  invalid_grant         refresh token expired (90 days inactive)
//                      50076   invalid_grant         MFA required (suberror basic_action)
//                      50079   interaction_required  MFA enrolment required
//                      70043   invalid_grant         sign-in frequency (suberror token_expired)
//                      7000218 invalid_client        client_secret/assertion required
//                      65001   invalid_grant         consent missing (suberror consent_required)
//                    other codes: 404
//   /redirect        302, Location: /ok
//   /ok              200 {"access_token":"at-...","token_type":"Bearer","expires_in":3600,
//                    "refresh_token":"rt-...","scope":"..."} (new tokens every time; any
//                    method, so a client that follows /redirect lands here)
// Test helpers:
//   GET  /stats      {"/hang":N,"/ok":N,...}: requests per path (these two not counted)
//   GET  /last       the last counted request: {"method","path","content_type",
//                    "form":{field: value}} with token/secret values cut to 6 chars
//   POST /reset      zeroes the counters
'use strict';

const https = require('https');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const querystring = require('querystring');

const USAGE = 'usage: badtoken.js PORT (--tls-dir DIR | --cert FILE --key FILE)';

function die(msg) {
  process.stderr.write(`badtoken: ${msg}\n`);
  process.exit(2);
}

let port;
let cert;
let key;
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--tls-dir' && a[i + 1]) {
      cert = path.join(a[i + 1], 'server.pem');
      key = path.join(a[i + 1], 'server-key.pem');
      i++;
    } else if (a[i] === '--cert' && a[i + 1]) {
      cert = a[++i];
    } else if (a[i] === '--key' && a[i + 1]) {
      key = a[++i];
    } else if (/^\d+$/.test(a[i]) && port === undefined) {
      port = parseInt(a[i], 10);
    } else {
      die(`unexpected argument '${a[i]}'\n${USAGE}`);
    }
  }
  if (port === undefined || port > 65535 || !cert || !key) die(USAGE);
}

let tls;
try {
  tls = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
} catch (e) {
  die(e.message);
}

function short(t) {
  if (typeof t !== 'string' || t.length === 0) return '(none)';
  return t.length > 6 ? `${t.slice(0, 6)}...` : t;
}

function log(msg) {
  process.stderr.write(`${new Date().toISOString()} badtoken: ${msg}\n`);
}

function rand(n) {
  return crypto.randomBytes(n).toString('base64url');
}

function send(res, code, type, body, headers) {
  res.writeHead(code, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...(headers || {}),
  });
  res.end(body);
}

function json(res, code, obj, headers) {
  send(res, code, 'application/json; charset=utf-8', JSON.stringify(obj), headers);
}

// Microsoft's token endpoint errors, as seen in real responses.
const AADSTS = {
  700082: ['invalid_grant', 'bad_token', 'The refresh token has expired due to inactivity. ' +
    'The token was issued on 2025-01-02T03:04:05.6789012Z and was inactive for 90.00:00:00.'],
  50076: ['invalid_grant', 'basic_action', 'Due to a configuration change made by your ' +
    'administrator, or because you moved to a new location, you must use multi-factor ' +
    "authentication to access '00000002-0000-0ff1-ce00-000000000000'."],
  50079: ['interaction_required', 'basic_action', 'Due to a configuration change made by your ' +
    'administrator, or because you moved to a new location, you must enroll in multi-factor ' +
    "authentication to access '00000002-0000-0ff1-ce00-000000000000'."],
  70043: ['invalid_grant', 'token_expired', 'The refresh token has expired or is invalid due ' +
    'to sign-in frequency checks by conditional access. The token was issued on ' +
    '2025-01-02T03:04:05.6789012Z and the maximum allowed lifetime for this request is 86400.'],
  7000218: ['invalid_client', undefined, "The request body must contain the following " +
    "parameter: 'client_assertion' or 'client_secret'."],
  65001: ['invalid_grant', 'consent_required', 'The user or administrator has not consented ' +
    "to use the application with ID '9e5f94bc-e8a4-4e73-b8be-63364c29d753' named " +
    "'sasl-oauth2 test'. Send an interactive authorization request for this user and resource."],
};

function aadstsBody(code) {
  const e = AADSTS[code];
  const ts = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const trace = crypto.randomUUID();
  const corr = crypto.randomUUID();
  const body = {
    error: e[0],
    error_description: `AADSTS${code}: ${e[2]}\r\nTrace ID: ${trace}\r\n` +
      `Correlation ID: ${corr}\r\nTimestamp: ${ts}`,
    error_codes: [Number(code)],
    timestamp: ts,
    trace_id: trace,
    correlation_id: corr,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
  if (e[1]) body.suberror = e[1];
  return body;
}

const HTML_LOGIN = '<!DOCTYPE html>\n<html><head><title>Sign in to your account</title></head>\n' +
  '<body><form method="post" action="/login"><h1>Sign in</h1>\n' +
  '<input type="email" name="loginfmt" placeholder="Email, phone, or Skype">\n' +
  '<input type="password" name="passwd"><input type="submit" value="Sign in">\n' +
  '</form></body></html>\n';

const HUGE_SIZE = 10 * 1024 * 1024;
const HUGE_HEAD = '{"access_token":"';
const HUGE_TAIL = '","token_type":"Bearer","expires_in":3600}';

function huge(req, res, withLength) {
  const fill = HUGE_SIZE - HUGE_HEAD.length - HUGE_TAIL.length;
  const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
  if (withLength) headers['Content-Length'] = HUGE_SIZE;
  res.writeHead(200, headers);
  res.write(HUGE_HEAD);
  const chunk = Buffer.alloc(64 * 1024, 'A');
  let left = fill;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end(HUGE_TAIL);
  };
  res.on('close', () => { left = 0; });
  pump();
}

const counts = {};
let last = null;
const hanging = new Set();

function summarize(req, p, raw) {
  const ct = String(req.headers['content-type'] || '');
  let form = {};
  try {
    form = ct.includes('json') ? JSON.parse(raw || '{}') : querystring.parse(raw);
  } catch (e) {
    form = { '(unparsable)': true };
  }
  const safe = {};
  for (const [k, v] of Object.entries(form || {})) {
    safe[k] = /token|secret|code|assertion|password/i.test(k) ? short(String(v)) : v;
  }
  return { method: req.method, path: p, content_type: ct, form: safe };
}

function handle(req, res, p, raw) {
  const m = /^\/aadsts\/(\d+)$/.exec(p);
  if (m) {
    if (!AADSTS[m[1]]) return json(res, 404, { error: 'unknown_aadsts_code' });
    return json(res, 400, aadstsBody(m[1]));
  }
  switch (p) {
    case '/hang':
      hanging.add(res.socket);
      res.socket.setTimeout(0);
      res.socket.on('close', () => hanging.delete(res.socket));
      return undefined;
    case '/huge':
      return huge(req, res, /(^|&)cl=1(&|$)/.test((req.url.split('?')[1] || '')));
    case '/html':
      return send(res, 200, 'text/html; charset=utf-8', HTML_LOGIN);
    case '/badjson':
      return send(res, 200, 'application/json', '{"access_token": "x",');
    case '/429':
      return json(res, 429, { error: 'too_many_requests', error_description: 'slow down' },
        { 'Retry-After': '30' });
    case '/500':
      return send(res, 500, 'text/html; charset=utf-8',
        '<html><body><h1>500 Internal Server Error</h1></body></html>\n');
    case '/503':
      return send(res, 503, 'text/plain; charset=utf-8', 'Service Unavailable\n',
        { 'Retry-After': '5' });
    case '/invalid_grant':
      return json(res, 400, {
        error: 'invalid_grant',
        error_description: "AADSTS70000: The provided value for the 'refresh_token' is not valid.",
      });
    case '/missing_fields':
      return json(res, 200, { token_type: 'Bearer' });
    case '/no_expires_in':
      return json(res, 200, { access_token: 'abc', token_type: 'Bearer' });
    case '/redirect':
      res.writeHead(302, { Location: '/ok', 'Content-Length': 0 });
      return res.end();
    case '/ok': {
      const f = summarize(req, p, raw).form;
      return json(res, 200, {
        access_token: `at-${rand(24)}`,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: `rt-${rand(24)}`,
        scope: typeof f.scope === 'string' ? f.scope : 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
      });
    }
    default:
      return json(res, 404, { error: 'not_found' });
  }
}

const server = https.createServer(tls, (req, res) => {
  const p = (req.url || '/').split('?')[0];
  if (req.method === 'GET' && p === '/stats') return json(res, 200, counts);
  if (req.method === 'GET' && p === '/last') return json(res, 200, last || {});
  if (req.method === 'POST' && p === '/reset') {
    for (const k of Object.keys(counts)) delete counts[k];
    last = null;
    return json(res, 200, { ok: true });
  }
  const chunks = [];
  let n = 0;
  req.on('data', (c) => {
    n += c.length;
    if (n <= 65536) chunks.push(c);
  });
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    counts[p] = (counts[p] || 0) + 1;
    last = summarize(req, p, raw);
    const f = last.form;
    log(`${req.method} ${p} grant=${f.grant_type || '-'} client_id=${f.client_id || '-'} ` +
      `rt=${f.refresh_token || '(none)'}`);
    if (req.method !== 'POST' && p !== '/ok') {
      return json(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
    }
    return handle(req, res, p, raw);
  });
  return undefined;
});

server.on('clientError', (e, sock) => sock.destroy());
server.on('error', (e) => {
  process.stderr.write(`badtoken: ${e.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  log(`listening on https://127.0.0.1:${actual}`);
  process.stdout.write(`listening ${actual}\n`);
});

let stopping = false;
function stop(sig) {
  if (stopping) return;
  stopping = true;
  log(`${sig}: stopping`);
  for (const s of hanging) s.destroy();
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 300).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
