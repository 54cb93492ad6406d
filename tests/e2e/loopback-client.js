#!/usr/bin/env node
// A minimal reference OAuth client, to check oidcserver.js and browser.js
// without the sasl-oauth2 CLI (test_oidcserver.sh).
//
//   node loopback-client.js code ISSUER CA_FILE [--client-id ID] [--secret S]
//        [--scope S] [--browser CMD] [--no-pkce] [--bad-state]
//     RFC 8252 browser flow: a listener on http://127.0.0.1:<free port>/,
//     PKCE S256, state; prints "URL <authorization url>" on stderr and runs
//     `CMD URL` when --browser is given; answers the redirect with a page
//     saying "sasl-oauth2: authorization complete" (or "...failed: ERROR");
//     exchanges the code.
//   node loopback-client.js device ISSUER CA_FILE [--client-id ID] [--scope S]
//     RFC 8628: prints "USER_CODE <code>" and "VERIFICATION_URI <uri>" on
//     stderr, polls at the server's interval (+5 s on slow_down).
//   node loopback-client.js refresh ISSUER CA_FILE REFRESH_TOKEN [--client-id ID] [--secret S]
//
// On success prints the token response (JSON) on stdout, exit 0; an OAuth
// error prints {"error":...} on stdout, exit 1. Discovery through
// ISSUER/.well-known/openid-configuration.
'use strict';

const http = require('node:http');
const https = require('node:https');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { spawn } = require('node:child_process');

const a = process.argv.slice(2);
const mode = a.shift();
const issuer = a.shift();
const ca = fs.readFileSync(a.shift());
const o = { clientId: 'test-public', secret: null, scope: 'openid email offline_access mail', browser: null, pkce: true, badState: false, refresh: null };
for (let i = 0; i < a.length; i++) {
	switch (a[i]) {
	case '--client-id': o.clientId = a[++i]; break;
	case '--secret': o.secret = a[++i]; break;
	case '--scope': o.scope = a[++i]; break;
	case '--browser': o.browser = a[++i]; break;
	case '--no-pkce': o.pkce = false; break;
	case '--bad-state': o.badState = true; break;
	default: o.refresh = a[i];
	}
}

const b64url = (b) => b.toString('base64url');
const say = (m) => process.stderr.write(`${m}\n`);

function request(method, url, form) {
	return new Promise((resolve, reject) => {
		const body = form ? new URLSearchParams(form).toString() : null;
		const req = https.request(url, {
			method, ca,
			headers: body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {},
		}, (res) => {
			let d = ''; res.on('data', (c) => d += c);
			res.on('end', () => { try { resolve({ status: res.statusCode, body: JSON.parse(d) }); } catch (e) { reject(new Error(`bad JSON from ${url}: ${d.slice(0, 200)}`)); } });
		});
		req.on('error', reject);
		if (body) req.write(body);
		req.end();
	});
}

function done(r) {
	process.stdout.write(`${JSON.stringify(r.body)}\n`);
	process.exit(r.status === 200 ? 0 : 1);
}

function withClient(form) {
	form.client_id = o.clientId;
	if (o.secret) form.client_secret = o.secret;
	return form;
}

async function main() {
	const meta = (await request('GET', `${issuer}/.well-known/openid-configuration`)).body;
	if (mode === 'refresh') {
		return done(await request('POST', meta.token_endpoint, withClient({ grant_type: 'refresh_token', refresh_token: o.refresh })));
	}
	if (mode === 'device') {
		const d = await request('POST', meta.device_authorization_endpoint, withClient({ scope: o.scope }));
		if (d.status !== 200) return done(d);
		say(`USER_CODE ${d.body.user_code}`);
		say(`VERIFICATION_URI ${d.body.verification_uri}`);
		let interval = d.body.interval || 5;
		for (;;) {
			await new Promise((r) => setTimeout(r, interval * 1000));
			const t = await request('POST', meta.token_endpoint, withClient({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: d.body.device_code }));
			if (t.status === 200) return done(t);
			if (t.body.error === 'authorization_pending') continue;
			if (t.body.error === 'slow_down') { interval += 5; say(`slow_down: interval now ${interval}`); continue; }
			return done(t);
		}
	}
	if (mode !== 'code') throw new Error(`unknown mode ${mode}`);
	const verifier = b64url(crypto.randomBytes(32));
	const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
	const state = b64url(crypto.randomBytes(16));
	const server = http.createServer();
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	const redirectUri = `http://127.0.0.1:${server.address().port}/`;
	const q = new URLSearchParams({ response_type: 'code', client_id: o.clientId, redirect_uri: redirectUri, scope: o.scope, state });
	if (o.pkce) { q.set('code_challenge', challenge); q.set('code_challenge_method', 'S256'); }
	const url = `${meta.authorization_endpoint}?${q}`;
	say(`URL ${url}`);
	const got = new Promise((resolve) => {
		server.on('request', (req, res) => {
			const p = new URL(req.url, redirectUri).searchParams;
			if (p.get('state') !== state || o.badState) {
				res.end('sasl-oauth2: authorization failed: state mismatch\n');
				return resolve({ error: 'state_mismatch' });
			}
			if (p.get('error')) {
				res.end(`sasl-oauth2: authorization failed: ${p.get('error')}\n`);
				return resolve({ error: p.get('error'), error_description: p.get('error_description') });
			}
			res.end('sasl-oauth2: authorization complete, you can close this window\n');
			resolve({ code: p.get('code') });
		});
	});
	if (o.browser) spawn(o.browser, [url], { stdio: 'ignore', detached: true }).unref();
	const r = await got;
	server.close();
	if (r.error) return done({ status: 400, body: r });
	const form = withClient({ grant_type: 'authorization_code', code: r.code, redirect_uri: redirectUri });
	if (o.pkce) form.code_verifier = verifier;
	return done(await request('POST', meta.token_endpoint, form));
}

main().catch((e) => { say(`loopback-client.js: ${e.stack || e}`); process.exit(2); });
