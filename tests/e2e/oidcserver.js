#!/usr/bin/env node
// A real OpenID Connect authorization server for the `sasl-oauth2 authorize`
// tests: oidc-provider 9 (node-oidc-provider) over HTTPS on 127.0.0.1, with
// its development login and consent pages, the device flow (RFC 8628),
// revocation, introspection, enforced PKCE S256 and rotating refresh tokens.
//
// Usage:
//   node oidcserver.js PORT (--tls-dir DIR | --cert FILE --key FILE) [options]
//
//   PORT                  TCP port on 127.0.0.1 (0: the kernel picks one)
//   --tls-dir DIR         DIR/server.pem and DIR/server-key.pem (make-ca.sh)
//   --cert FILE, --key FILE   server certificate / key (PEM), instead of --tls-dir
//   --confidential-secret S   test-confidential's client secret
//                         (default "test-confidential-secret")
//   --access-ttl N        access token lifetime, seconds (default 3600), also for
//                         client credentials tokens
//   --device-interval N   "interval" sent in device authorization responses and
//                         enforced at the token endpoint (default 5; see slow_down)
//   --slow-down-first     answer the first pending poll of every device code with
//                         slow_down (so a test sees the client's back-off at once)
//   --no-slow-down        never send slow_down
//   --device-code-ttl N   device codes expire after N seconds (default 600)
//   --app-config FILE     app-only clients (JSON, read at start):
//                         {"clients": [{"client_id", "client_secret" | "certificate"
//                          (a PEM file: private_key_jwt, the assertion is verified
//                          against its public key; "alg": RS256 (default) or PS256,
//                          the only one accepted), "mailbox"}],
//                          "service_accounts": [{"client_email", "public_key" (PEM
//                          file), "client_id", "mailboxes": [...]}]}
//                         Clients get the client_credentials grant (client_secret_post,
//                         client_secret_basic or private_key_jwt); their tokens
//                         introspect (/dovecot-introspect) as their "mailbox", as
//                         Exchange's Add-MailboxPermission would allow. Service
//                         accounts use the JWT bearer grant (below).
//   --strict-offline-access   keep oidc-provider's OpenID rule that offline_access
//                         (a refresh token) needs prompt=consent in the request
//                         (default: an authorization request asking for
//                         offline_access gets prompt=consent added, like
//                         Microsoft and Google hand out refresh tokens)
//
// Prints "listening PORT" on stdout when ready; one line per request on stderr
// ("<ISO time> METHOD PATH [grant] -> STATUS [error] N ms"). Exits 0 on
// SIGTERM/SIGINT. State lives in memory: a restarted server knows no tokens.
//
// Issuer https://127.0.0.1:PORT; discovery at /.well-known/openid-configuration.
// oidc-provider's routes: /auth (authorization), /token, /device/auth (device
// authorization), /device (user code entry page), /token/introspection,
// /token/revocation, /me (userinfo), /jwks, /interaction/UID (login and consent
// pages), /session/end.
//
// Clients (both application_type native, so any port on a loopback redirect
// URI matches: oidc-provider 9 compares native clients' http://127.0.0.1 and
// http://localhost redirect URIs without their port, RFC 8252 7.3):
//   test-public        token_endpoint_auth_method none; grant types
//                      authorization_code, refresh_token, device_code;
//                      redirect URIs http://127.0.0.1/ and http://localhost/;
//                      PKCE is required (oidc-provider 9 supports only S256)
//   test-confidential  client_secret_post (or client_secret_basic) with the
//                      --confidential-secret; same grants and redirect URIs;
//                      PKCE optional but checked when sent
// Scopes: openid email offline_access mail. A refresh token is issued when
// offline_access was granted; every refresh rotates it (the old one is then
// invalid, and reusing it revokes the whole grant: oidc-provider's reuse
// detection).
//
// Accounts: whatever is typed in the login form's "login" field becomes the
// account id (sub) and its email claim; any password is accepted. The id token
// carries "email" (conformIdTokenClaims off). The consent page ("Continue")
// grants every scope asked for, offline_access included; its "[ Cancel ]" link
// ends the request with error=access_denied. On the device confirmation page
// "[ Abort ]" makes the device code answer access_denied.
//
// slow_down (RFC 8628 3.5): oidc-provider 9.13 never sends it (its device_code
// grant only answers authorization_pending / expired_token / access_denied)
// and sends no "interval". This server adds both: every device authorization
// response carries "interval": --device-interval, and a poll for a pending
// device code that comes less than the code's interval after the previous poll
// (250 ms tolerance) is answered 400 {"error":"slow_down"}; the code's interval
// then grows by 5 s, as RFC 8628 says. The first poll of a code is never too
// fast, unless --slow-down-first.
//
// Extra endpoints (test helpers, no authentication):
//   GET  /admin/stats     {"token_requests","token_ok","token_errors",
//                          "grants":{"authorization_code":N,...},
//                          "auth_requests","device_authorizations","device_polls",
//                          "authorization_pending_sent","slow_down_sent",
//                          "introspect_requests","revocations",
//                          "dovecot_introspect_requests"}
//   POST /admin/reset-stats   zeroes the counters and the logs below
//   GET  /admin/auth-requests  the query of every /auth request, oldest first
//                         (as the client sent it, before any prompt rewrite)
//   GET  /admin/device-polls  [{"t":EPOCH_MS,"device":ID,"result":"authorization_pending"|
//                         "slow_down"|"ok"|ERROR,"gap_ms":N|null,"interval":S}]
//                         (ID: a short hash of the device code)
//   GET  /admin/token-requests [{"t","grant","client_id","status","error"}]
//   GET  /admin/config, POST /admin/config {"device_interval":N,"slow_down":bool,
//                         "slow_down_first":bool,"device_code_ttl":N,
//                         "strict_offline_access":bool,"denied_error":NAME} (any subset;
//                         denied_error renames a device poll's access_denied, e.g.
//                         to Microsoft's "authorization_declined"; "" = off)
//                         -> the config (applies to device codes issued afterwards)
//   POST /admin/config also takes {"clock_skew": S (seconds added to this
//                         server's clock when judging JWT bearer assertions),
//                         "delegation": bool, "token_delay_ms": N (each /token
//                         request waits N ms first, so a test sees the client
//                         process alive)}
//   POST /dovecot-introspect  Dovecot's introspection_mode = post: form body
//                         token=...&client_id=&client_secret= (JSON works too) ->
//                         {"active":true,"username":ACCOUNT,"sub":ACCOUNT,"scope",
//                          "client_id","exp"} for a live access token this server
//                         issued, else {"active":false}
//
// JWT bearer grant (RFC 7523 2.1, as Google's service accounts use it),
// registered with provider.registerGrantType: grant_type
// urn:ietf:params:oauth:grant-type:jwt-bearer, assertion=JWT. Like Google, it
// needs no client authentication (the server supplies the internal client
// "jwt-bearer" when the request names none). The assertion must be RS256,
// signed by a configured service account's key (iss = its client_email),
// aud = this token endpoint, iat/exp within an hour and not off this
// server's clock (plus "clock_skew") by more than 60 s, sub = one of its
// "mailboxes" (domain-wide delegation), scope = "https://mail.google.com/".
// Refusals are Google's: invalid_grant "Invalid JWT Signature.", "Invalid
// JWT: Token must be a short-lived token (60 minutes) and in a reasonable
// timeframe. Check your iat and exp values in the JWT claim.",
// unauthorized_client when the mailbox or scope is not delegated (or
// "delegation": false in /admin/config). The access token is an ordinary one
// for account sub.
//
// Facts read in oidc-provider 9.13.3's lib/ (why it is set up like this): it
// is ESM only (import()); devInteractions' login page posts prompt=login,
// login, password to /interaction/UID and uses login as the account id; its
// consent submit adds details.missingOIDCScope to the Grant (offline_access
// included); lib/actions/authorization/scopes.js drops offline_access unless
// prompt contains consent; defaults put scope-claims only in userinfo
// (conformIdTokenClaims); rotateRefreshToken defaults to rotating only for
// public clients; on node 20 it prints an "Unsupported runtime" warning.
'use strict';

const fs = require('node:fs');
const https = require('node:https');
const crypto = require('node:crypto');
const querystring = require('node:querystring');

function usage(msg) {
	if (msg) process.stderr.write(`oidcserver.js: ${msg}\n`);
	process.stderr.write('usage: node oidcserver.js PORT (--tls-dir DIR | --cert FILE --key FILE) '
		+ '[--confidential-secret S] [--access-ttl N] [--device-interval N] '
		+ '[--slow-down-first] [--no-slow-down] [--device-code-ttl N] [--strict-offline-access]\n');
	process.exit(2);
}

const opts = {
	port: null, cert: null, key: null,
	secret: 'test-confidential-secret',
	accessTtl: 3600,
	deviceInterval: 5,
	slowDown: true,
	slowDownFirst: false,
	strictOffline: false,
	deviceTtl: 600,
	appConfig: null,
	clockSkew: 0,
	tokenDelayMs: 0,
	delegation: true,
};
{
	const a = process.argv.slice(2);
	const num = (v, name) => {
		if (v === undefined || !/^\d+$/.test(v)) usage(`${name} needs a number`);
		return Number(v);
	};
	for (let i = 0; i < a.length; i++) {
		switch (a[i]) {
		case '--tls-dir':
			if (!a[i + 1]) usage('--tls-dir needs a directory');
			opts.cert = `${a[i + 1]}/server.pem`; opts.key = `${a[++i]}/server-key.pem`;
			break;
		case '--cert': opts.cert = a[++i]; break;
		case '--key': opts.key = a[++i]; break;
		case '--confidential-secret': opts.secret = a[++i]; break;
		case '--access-ttl': opts.accessTtl = num(a[++i], '--access-ttl'); break;
		case '--device-interval': opts.deviceInterval = num(a[++i], '--device-interval'); break;
		case '--slow-down-first': opts.slowDownFirst = true; break;
		case '--no-slow-down': opts.slowDown = false; break;
		case '--device-code-ttl': opts.deviceTtl = num(a[++i], '--device-code-ttl'); break;
		case '--strict-offline-access': opts.strictOffline = true; break;
		case '--app-config': opts.appConfig = a[++i]; break;
		default:
			if (opts.port === null && /^\d+$/.test(a[i])) opts.port = Number(a[i]);
			else usage(`unknown argument ${a[i]}`);
		}
	}
	if (opts.port === null) usage('PORT missing');
	if (!opts.cert || !opts.key) usage('--tls-dir or --cert/--key missing');
	if (!opts.secret) usage('--confidential-secret needs a value');
}

// oidc-provider prints its notices with console.info: keep stdout for "listening PORT"
console.info = (...a) => console.error(...a);

const log = (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

// ----- counters and logs for /admin ------------------------------------
function freshStats() {
	return {
		token_requests: 0, token_ok: 0, token_errors: 0, grants: {},
		auth_requests: 0, device_authorizations: 0, device_polls: 0,
		authorization_pending_sent: 0, slow_down_sent: 0,
		introspect_requests: 0, revocations: 0, dovecot_introspect_requests: 0,
	};
}
let stats = freshStats();
let authRequests = [];
let devicePolls = [];
let tokenRequests = [];
const deviceState = new Map(); // device_code -> {interval, last}
const shortId = (s) => crypto.createHash('sha256').update(String(s)).digest('hex').slice(0, 10);

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GRANT_NAMES = {
	'urn:ietf:params:oauth:grant-type:device_code': 'device_code',
	[JWT_BEARER]: 'jwt_bearer',
};

// The JWT bearer grant's checks, in Google's words (see the header).
async function jwtBearer(ctx, provider, serviceAccounts) {
	const refuse = (status, error, description) => {
		ctx.status = status;
		ctx.body = { error, error_description: description };
	};
	const parts = String(ctx.oidc.params.assertion || '').split('.');
	if (parts.length !== 3) return refuse(400, 'invalid_grant', 'Invalid JWT.');
	let header, claims;
	try {
		header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
		claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
	} catch (e) { return refuse(400, 'invalid_grant', 'Invalid JWT.'); }
	const sa = serviceAccounts.get(claims.iss);
	if (header.alg !== 'RS256' || !sa) return refuse(400, 'invalid_grant', 'Invalid JWT Signature.');
	const signed = crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), sa.key,
		Buffer.from(parts[2], 'base64url'));
	if (!signed) return refuse(400, 'invalid_grant', 'Invalid JWT Signature.');
	const now = Math.floor(Date.now() / 1000) + opts.clockSkew;
	const tokenUrl = `${provider.issuer}/token`;
	if (claims.aud !== tokenUrl) return refuse(400, 'invalid_grant', `Invalid JWT: audience is not ${tokenUrl}.`);
	if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp - claims.iat > 3600
		|| claims.iat > now + 60 || claims.exp < now - 60) {
		return refuse(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) '
			+ 'and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
	}
	const scope = String(claims.scope || '');
	if (!opts.delegation || !(sa.mailboxes || []).includes(claims.sub) || scope !== 'https://mail.google.com/') {
		return refuse(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens '
			+ 'using this method, or client not authorized for any of the scopes requested.');
	}
	const at = new provider.AccessToken({
		accountId: claims.sub, client: ctx.oidc.client, scope, gty: 'jwt_bearer',
	});
	const value = await at.save();
	ctx.body = { access_token: value, token_type: 'Bearer', expires_in: at.expiration, scope };
}

async function readBody(req, limit = 64 * 1024) {
	const chunks = []; let n = 0;
	for await (const c of req) {
		n += c.length;
		if (n > limit) throw new Error('body too large');
		chunks.push(c);
	}
	return Buffer.concat(chunks).toString('utf8');
}

async function main() {
	const { default: Provider } = await import('oidc-provider');

	const tls = { cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key) };
	let handler = (req, res) => { res.statusCode = 503; res.end(); };
	const server = https.createServer(tls, (req, res) => handler(req, res));
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port, '127.0.0.1', resolve);
	});
	const port = server.address().port;
	const issuer = `https://127.0.0.1:${port}`;

	const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
	const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `k-${shortId(Date.now())}`, alg: 'RS256', use: 'sig' };

	const redirectUris = ['http://127.0.0.1/', 'http://localhost/'];
	const grantTypes = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];

	const app = opts.appConfig ? JSON.parse(fs.readFileSync(opts.appConfig, 'utf8')) : {};
	const appClients = (app.clients || []).map((c) => {
		const base = {
			client_id: c.client_id,
			client_name: `app-only ${c.client_id}`,
			grant_types: ['client_credentials'],
			response_types: [],
			redirect_uris: [],
		};
		if (c.client_secret) {
			return { ...base, client_secret: c.client_secret, token_endpoint_auth_method: 'client_secret_post' };
		}
		const pub = crypto.createPublicKey(fs.readFileSync(c.certificate));
		return {
			...base,
			token_endpoint_auth_method: 'private_key_jwt',
			token_endpoint_auth_signing_alg: c.alg || 'RS256',
			jwks: { keys: [{ ...pub.export({ format: 'jwk' }), use: 'sig', alg: c.alg || 'RS256' }] },
		};
	});
	const mailboxOf = new Map((app.clients || []).map((c) => [c.client_id, c.mailbox]));
	const serviceAccounts = new Map((app.service_accounts || []).map((sa) => [sa.client_email, {
		...sa, key: crypto.createPublicKey(fs.readFileSync(sa.public_key)),
	}]));

	const provider = new Provider(issuer, {
		clients: [
			...appClients,
			{
				client_id: 'jwt-bearer',
				client_name: 'JWT bearer grant (no client authentication)',
				token_endpoint_auth_method: 'none',
				grant_types: [JWT_BEARER],
				response_types: [],
				redirect_uris: [],
			},
			{
				client_id: 'test-public',
				client_name: 'sasl-oauth2 test (public)',
				application_type: 'native',
				token_endpoint_auth_method: 'none',
				grant_types: grantTypes,
				response_types: ['code'],
				redirect_uris: redirectUris,
			},
			{
				client_id: 'test-confidential',
				client_secret: opts.secret,
				client_name: 'sasl-oauth2 test (confidential)',
				application_type: 'native',
				token_endpoint_auth_method: 'client_secret_post',
				grant_types: grantTypes,
				response_types: ['code'],
				redirect_uris: redirectUris,
			},
		],
		// client_secret_basic too, so a client using either is served
		clientAuthMethods: ['none', 'client_secret_post', 'client_secret_basic', 'private_key_jwt'],
		async findAccount(ctx, id) {
			return {
				accountId: id,
				async claims() { return { sub: id, email: id }; },
			};
		},
		claims: { openid: ['sub'], email: ['email'] },
		scopes: ['openid', 'email', 'offline_access', 'mail',
			'https://outlook.office365.com/.default', 'https://mail.google.com/'],
		conformIdTokenClaims: false,
		jwks: { keys: [jwk] },
		cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
		features: {
			devInteractions: { enabled: true },
			deviceFlow: { enabled: true },
			revocation: { enabled: true },
			introspection: { enabled: true },
			userinfo: { enabled: true },
			clientCredentials: { enabled: true },
		},
		pkce: {
			// public clients must use PKCE (S256 is the only method in v9);
			// a confidential client may omit it
			required: (ctx, client) => client.clientAuthMethod === 'none',
		},
		ttl: {
			AccessToken: () => opts.accessTtl,
			ClientCredentials: () => opts.accessTtl,
			AuthorizationCode: 120,
			DeviceCode: () => opts.deviceTtl,
			IdToken: 3600,
			RefreshToken: 14 * 24 * 3600,
			Grant: 14 * 24 * 3600,
			Interaction: 3600,
			Session: 24 * 3600,
		},
		issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
			&& code.scopes.has('offline_access'),
		rotateRefreshToken: () => true,
		renderError: async (ctx, out) => {
			ctx.type = 'html';
			const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
			ctx.body = `<!DOCTYPE html><html><head><title>oidcserver error</title></head><body>`
				+ `<h1>oops! something went wrong</h1>`
				+ Object.entries(out).map(([k, v]) => `<pre><strong>${esc(k)}</strong>: ${esc(v)}</pre>`).join('')
				+ `</body></html>`;
		},
	});
	provider.proxy = false;
	provider.registerGrantType(JWT_BEARER, (ctx) => jwtBearer(ctx, provider, serviceAccounts),
		['assertion', 'scope']);

	// log each request, keep the counters, add slow_down and "interval"
	provider.use(async (ctx, next) => {
		const t0 = Date.now();
		const path = ctx.path;

		// ---- test helper endpoints
		if (path.startsWith('/admin/') || path === '/dovecot-introspect') {
			await adminRoute(ctx, provider);
			log(`${ctx.method} ${path} -> ${ctx.status} ${Date.now() - t0} ms`);
			return;
		}

		if (path === '/token' && opts.tokenDelayMs > 0) {
			await new Promise((r) => setTimeout(r, opts.tokenDelayMs));
		}
		if (path === '/token' && ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
			// Google's JWT bearer grant has no client authentication; oidc-provider
			// needs a client: name the internal one when the request names none.
			let raw;
			try { raw = await readBody(ctx.req, 56 * 1024); } catch (e) { raw = ''; }
			const form = querystring.parse(raw);
			if (form.grant_type === JWT_BEARER && !form.client_id) form.client_id = 'jwt-bearer';
			ctx.request.body = querystring.stringify(form);
		}

		if (path === '/auth' && ctx.method === 'GET') {
			stats.auth_requests++;
			const q = { ...ctx.query };
			authRequests.push({ t: t0, query: q });
			const scopes = String(q.scope || '').split(' ');
			const prompts = String(q.prompt || '').split(' ').filter(Boolean);
			if (!opts.strictOffline && scopes.includes('offline_access')
				&& !prompts.includes('consent') && !prompts.includes('none')) {
				ctx.query = { ...q, prompt: [...prompts, 'consent'].join(' ') };
			}
		}

		await next();

		let extra = '';
		if (path === '/token' && ctx.method === 'POST') {
			const params = ctx.oidc?.params || {};
			const grantRaw = params.grant_type || '';
			const grant = GRANT_NAMES[grantRaw] || grantRaw || '?';
			stats.token_requests++;
			stats.grants[grant] = (stats.grants[grant] || 0) + 1;
			if (grant === 'device_code') deviceGate(ctx, params.device_code, t0);
			const error = ctx.status >= 400 ? (ctx.body && ctx.body.error) || String(ctx.status) : null;
			if (error) stats.token_errors++; else stats.token_ok++;
			tokenRequests.push({ t: t0, grant, client_id: ctx.oidc?.client?.clientId || params.client_id || null, status: ctx.status, error });
			extra = ` ${grant}`;
		} else if (path === '/device/auth' && ctx.method === 'POST' && ctx.status === 200 && ctx.body && ctx.body.device_code) {
			stats.device_authorizations++;
			ctx.body = { ...ctx.body, interval: opts.deviceInterval };
			deviceState.set(ctx.body.device_code, { interval: opts.deviceInterval, last: null, polls: 0 });
		} else if (path === '/token/introspection') {
			stats.introspect_requests++;
		} else if (path === '/token/revocation') {
			stats.revocations++;
		}
		const err = ctx.status >= 400 && ctx.body && ctx.body.error ? ` ${ctx.body.error}` : '';
		const loc = ctx.status >= 300 && ctx.status < 400 && ctx.response.get('location')
			? ` location=${redactUrl(ctx.response.get('location'))}` : '';
		log(`${ctx.method} ${path}${extra} -> ${ctx.status}${err}${loc} ${Date.now() - t0} ms`);
	});

	// deviceGate: after the provider answered a device_code poll.
	function deviceGate(ctx, code, t0) {
		stats.device_polls++;
		let st = deviceState.get(code);
		if (!st) { st = { interval: opts.deviceInterval, last: null, polls: 0 }; if (code) deviceState.set(code, st); }
		const gap = st.last === null ? null : t0 - st.last;
		const pending = ctx.status === 400 && ctx.body && ctx.body.error === 'authorization_pending';
		let tooFast = gap !== null && gap < st.interval * 1000 - 250;
		if (opts.slowDownFirst && st.polls === 0) tooFast = true;
		st.polls++;
		st.last = t0;
		if (opts.deniedError && ctx.status === 400 && ctx.body && ctx.body.error === 'access_denied') {
			ctx.body = { ...ctx.body, error: opts.deniedError };
		}
		let result = ctx.status === 200 ? 'ok' : (ctx.body && ctx.body.error) || String(ctx.status);
		if (pending && tooFast && opts.slowDown) {
			st.interval += 5;
			ctx.status = 400;
			ctx.body = {
				error: 'slow_down',
				error_description: `you are polling too quickly: wait ${st.interval} s between requests`,
			};
			result = 'slow_down';
			stats.slow_down_sent++;
		} else if (pending) {
			stats.authorization_pending_sent++;
		}
		devicePolls.push({ t: t0, device: shortId(code), result, gap_ms: gap, interval: st.interval });
	}

	async function adminRoute(ctx, prov) {
		const path = ctx.path;
		const json = (status, body) => { ctx.status = status; ctx.type = 'application/json'; ctx.body = body; };
		ctx.set('Cache-Control', 'no-store');
		if (path === '/dovecot-introspect' && ctx.method === 'POST') {
			stats.dovecot_introspect_requests++;
			let token = '';
			try {
				const raw = await readBody(ctx.req);
				const body = (ctx.get('content-type') || '').includes('json') ? JSON.parse(raw) : querystring.parse(raw);
				token = String(body.token || '');
			} catch (e) { return json(400, { error: 'invalid_request' }); }
			const at = token ? await prov.AccessToken.find(token).catch(() => undefined) : undefined;
			if (at && !at.isExpired) {
				return json(200, {
					active: true, username: at.accountId, sub: at.accountId,
					scope: at.scope, client_id: at.clientId, exp: at.exp,
				});
			}
			// an app-only token acts for the mailbox its app was given
			const cc = token ? await prov.ClientCredentials.find(token).catch(() => undefined) : undefined;
			if (!cc || cc.isExpired || !mailboxOf.get(cc.clientId)) return json(200, { active: false });
			const mbox = mailboxOf.get(cc.clientId);
			return json(200, {
				active: true, username: mbox, sub: mbox, scope: cc.scope, client_id: cc.clientId, exp: cc.exp,
			});
		}
		if (path === '/admin/stats' && ctx.method === 'GET') return json(200, stats);
		if (path === '/admin/reset-stats' && ctx.method === 'POST') {
			stats = freshStats(); authRequests = []; devicePolls = []; tokenRequests = [];
			return json(200, { ok: true });
		}
		if (path === '/admin/auth-requests' && ctx.method === 'GET') return json(200, authRequests);
		if (path === '/admin/device-polls' && ctx.method === 'GET') return json(200, devicePolls);
		if (path === '/admin/token-requests' && ctx.method === 'GET') return json(200, tokenRequests);
		if (path === '/admin/config') {
			if (ctx.method === 'POST') {
				let c;
				try { c = JSON.parse(await readBody(ctx.req) || '{}'); } catch (e) { return json(400, { error: 'bad JSON' }); }
				if (c.device_interval !== undefined) opts.deviceInterval = Number(c.device_interval);
				if (c.slow_down !== undefined) opts.slowDown = Boolean(c.slow_down);
				if (c.slow_down_first !== undefined) opts.slowDownFirst = Boolean(c.slow_down_first);
				if (c.device_code_ttl !== undefined) opts.deviceTtl = Number(c.device_code_ttl);
				if (c.strict_offline_access !== undefined) opts.strictOffline = Boolean(c.strict_offline_access);
				if (c.denied_error !== undefined) opts.deniedError = String(c.denied_error);
				if (c.clock_skew !== undefined) opts.clockSkew = Number(c.clock_skew);
				if (c.token_delay_ms !== undefined) opts.tokenDelayMs = Number(c.token_delay_ms);
				if (c.delegation !== undefined) opts.delegation = Boolean(c.delegation);
			}
			return json(200, {
				device_interval: opts.deviceInterval, slow_down: opts.slowDown,
				slow_down_first: opts.slowDownFirst, device_code_ttl: opts.deviceTtl,
				strict_offline_access: opts.strictOffline, denied_error: opts.deniedError || '',
				clock_skew: opts.clockSkew, delegation: opts.delegation, token_delay_ms: opts.tokenDelayMs,
			});
		}
		return json(404, { error: 'not found' });
	}

	handler = provider.callback();

	const stop = () => { server.close(); process.exit(0); };
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	process.stdout.write(`listening ${port}\n`);
}

// redactUrl: a Location header without codes and tokens.
function redactUrl(u) {
	return u.replace(/([?&#](code|access_token|id_token|refresh_token|state)=)[^&]*/g, '$1<redacted>');
}

main().catch((e) => { process.stderr.write(`oidcserver.js: ${e.stack || e}\n`); process.exit(1); });
