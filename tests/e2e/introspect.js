#!/usr/bin/env node
// Token introspection endpoint (RFC 7662 style) for Dovecot's oauth2 passdb,
// for the end-to-end tests. No dependencies.
//
//   node introspect.js PORT TOKENS.json [LOGFILE]
//
// TOKENS.json maps token -> username, e.g. {"tok-abc": "alice@example.com"}.
// It is read again on every request, so a test can change it while the
// server runs. Listens on 127.0.0.1:PORT only.
//
//   POST (any path), form body token=...&client_id=&client_secret=
//        (a JSON body {"token": "..."} is accepted too)
//        -> {"active":true,"username":"..."} or {"active":false}
//   GET /stats -> {"requests":N,"active":A,"inactive":I}
//   GET /health -> {"ok":true}
//
// Logs one line per request; only the first 6 characters of a token.
'use strict';

const http = require('http');
const fs = require('fs');
const querystring = require('querystring');

const port = parseInt(process.argv[2], 10);
const tokensFile = process.argv[3];
const logFile = process.argv[4];
if (!port || !tokensFile) {
  process.stderr.write('usage: introspect.js PORT TOKENS.json [LOGFILE]\n');
  process.exit(2);
}

const stats = { requests: 0, active: 0, inactive: 0 };

function log(msg) {
  const line = `${new Date().toISOString()} introspect: ${msg}\n`;
  if (logFile) fs.appendFileSync(logFile, line);
  else process.stdout.write(line);
}

function shortToken(t) {
  if (typeof t !== 'string' || t.length === 0) return '(none)';
  return t.length > 6 ? `${t.slice(0, 6)}...` : t;
}

function loadTokens() {
  try {
    const m = JSON.parse(fs.readFileSync(tokensFile, 'utf8'));
    return m && typeof m === 'object' ? m : {};
  } catch (e) {
    log(`cannot read ${tokensFile}: ${e.message}`);
    return {};
  }
}

function reply(res, code, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function parseBody(req, raw) {
  const ct = String(req.headers['content-type'] || '');
  if (ct.includes('application/json')) {
    try { return JSON.parse(raw) || {}; } catch (e) { return {}; }
  }
  return querystring.parse(raw);
}

function bearerFromHeader(req) {
  const h = String(req.headers.authorization || '');
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1] : undefined;
}

const server = http.createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (c) => {
    raw += c;
    if (raw.length > 65536) req.destroy();
  });
  req.on('end', () => {
    const path = (req.url || '/').split('?')[0];
    if (req.method === 'GET' && path === '/stats') return reply(res, 200, stats);
    if (req.method === 'GET' && path === '/health') return reply(res, 200, { ok: true });
    if (req.method !== 'POST' && req.method !== 'GET') return reply(res, 405, { error: 'method' });

    stats.requests++;
    let token;
    if (req.method === 'POST') token = parseBody(req, raw).token;
    // Dovecot's introspection_mode = auth/get send the token differently;
    // accept them too so a config change does not silently break the test.
    if (!token) token = bearerFromHeader(req);
    if (!token && req.method === 'GET') {
      token = querystring.parse((req.url || '').split('?')[1] || '').token;
    }
    if (Array.isArray(token)) token = token[0];

    const tokens = loadTokens();
    const user = typeof token === 'string' && Object.prototype.hasOwnProperty.call(tokens, token)
      ? tokens[token] : undefined;
    if (typeof user === 'string' && user.length > 0) {
      stats.active++;
      log(`${req.method} ${path} token=${shortToken(token)} -> active user=${user}`);
      return reply(res, 200, { active: true, username: user });
    }
    stats.inactive++;
    log(`${req.method} ${path} token=${shortToken(token)} -> inactive`);
    return reply(res, 200, { active: false });
  });
});

server.on('error', (e) => {
  process.stderr.write(`introspect: ${e.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => log(`listening on 127.0.0.1:${port}`));

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
