#!/usr/bin/env node
// A headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// that plays the user at oidcserver.js's pages: it logs in, consents, and
// follows the redirect back to the client's loopback listener.
//
// Usage:
//   node browser.js login URL --user EMAIL [options]
//       opens URL (an authorization request), signs in as EMAIL on the dev
//       login form (any password), presses Continue on the consent page and
//       follows redirects until the page is on http://127.0.0.1:* or
//       http://localhost:* (the CLI's RFC 8252 loopback listener). Prints that
//       page's text on stdout; exits 0 once such a page was reached.
//   node browser.js device VERIFICATION_URI USER_CODE --user EMAIL [options]
//       enters USER_CODE on the device page, confirms it, signs in, consents;
//       exits 0 on the "Sign-in Success" page (its text on stdout).
//
//   --user EMAIL        the login typed into the form (= account id, sub, email)
//   --password P        (default "secret"; the dev form accepts any)
//   --deny              refuse instead of consenting: login mode presses
//                       "[ Cancel ]" on the consent page (the client is sent
//                       error=access_denied; exit 0 when its loopback page is
//                       reached); device mode presses "[ Abort ]" on the
//                       code confirmation page (exit 0 on the aborted page)
//   --deny-at consent   device mode: sign in, then "[ Cancel ]" on the consent
//                       page instead of aborting at the confirmation page
//   --screenshot FILE   a PNG of the last page (also on failure)
//   --timeout S         give up after S seconds (default 60; exit 124)
//   --chromium PATH     the browser binary (default $CHROMIUM or /usr/bin/chromium)
//   --resolve-localhost ADDR
//                       make Chromium resolve the name localhost to ADDR only
//                       (127.0.0.1 or [::1]): its --host-resolver-rules
//
// Exit status: 0 done; 1 an unexpected page (an error page, a page it does
// not know: its text is printed); 2 usage; 3 the browser could not load a
// page (e.g. nothing listening on the loopback port); 124 timeout.
// Progress goes to stderr ("browser: ..."), codes in URLs redacted.
//
// Chromium runs with a fresh temporary profile (removed at exit) and
// --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
// --disable-background-networking --disable-component-update --disable-sync
// (without them its connections get refused here). It ignores certificate
// errors (the test CA is not in its trust store) and lets no request leave
// the loopback addresses (the dev pages @import Google Fonts).
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function usage(msg) {
	if (msg) process.stderr.write(`browser.js: ${msg}\n`);
	process.stderr.write('usage: node browser.js login URL --user EMAIL [--deny] [--screenshot FILE] [--timeout S]\n'
		+ '       node browser.js device VERIFICATION_URI USER_CODE --user EMAIL [--deny [--deny-at confirm|consent]] [--screenshot FILE] [--timeout S]\n');
	process.exit(2);
}

const args = process.argv.slice(2);
const mode = args.shift();
if (mode !== 'login' && mode !== 'device') usage(mode ? `unknown mode ${mode}` : 'mode missing');
const pos = [];
const o = {
	user: null, password: 'secret', deny: false, denyAt: null, screenshot: null, timeout: 60,
	chromium: process.env.CHROMIUM || '/usr/bin/chromium', resolveLocalhost: null,
};
for (let i = 0; i < args.length; i++) {
	const v = () => { if (args[i + 1] === undefined) usage(`${args[i]} needs a value`); return args[++i]; };
	switch (args[i]) {
	case '--user': o.user = v(); break;
	case '--password': o.password = v(); break;
	case '--deny': o.deny = true; break;
	case '--deny-at': o.denyAt = v(); o.deny = true; break;
	case '--screenshot': o.screenshot = v(); break;
	case '--timeout': o.timeout = Number(v()); break;
	case '--chromium': o.chromium = v(); break;
	case '--resolve-localhost': o.resolveLocalhost = v(); break;
	default:
		if (args[i].startsWith('--')) usage(`unknown option ${args[i]}`);
		pos.push(args[i]);
	}
}
if (mode === 'login' && pos.length !== 1) usage('login needs URL');
if (mode === 'device' && pos.length !== 2) usage('device needs VERIFICATION_URI and USER_CODE');
if (!o.user) usage('--user missing');
if (!(o.timeout > 0)) usage('--timeout must be positive');
if (o.resolveLocalhost !== null && !['127.0.0.1', '[::1]'].includes(o.resolveLocalhost)) usage('--resolve-localhost is 127.0.0.1 or [::1]');
if (o.denyAt === null) o.denyAt = mode === 'device' ? 'confirm' : 'consent';
if (!['confirm', 'consent'].includes(o.denyAt)) usage('--deny-at is confirm or consent');

const redact = (u) => String(u).replace(/([?&#](code|access_token|id_token|refresh_token|state|code_challenge)=)[^&]*/g, '$1<redacted>');
const say = (m) => process.stderr.write(`browser: ${m}\n`);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isClientLoopback = (u) => { try { const x = new URL(u); return x.protocol === 'http:' && LOOPBACK.has(x.hostname); } catch { return false; } };

let context = null;
let page = null;
let profile = null;
let finished = false;

async function finish(code, text) {
	if (finished) return;
	finished = true;
	if (text !== undefined) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
	if (o.screenshot && page) {
		try { await page.screenshot({ path: o.screenshot, fullPage: true, timeout: 5000 }); } catch (e) { say(`screenshot failed: ${e.message}`); }
	}
	try { if (context) await context.close(); } catch { /* ignore */ }
	try { if (profile) fs.rmSync(profile, { recursive: true, force: true }); } catch { /* ignore */ }
	process.exit(code);
}

async function pageText() {
	try { return (await page.innerText('body', { timeout: 3000 })).trim(); } catch { return ''; }
}

// act: runs the click/submit and waits for the navigation it causes.
async function act(desc, fn) {
	say(desc);
	try {
		await Promise.all([
			page.waitForNavigation({ waitUntil: 'load', timeout: o.timeout * 1000 }),
			fn(),
		]);
	} catch (e) {
		// a navigation that failed (connection refused, empty response):
		// the loop below looks at where the page is now
		say(`navigation: ${e.message.split('\n')[0]}`);
		if (/net::ERR_/.test(e.message)) {
			await finish(3, `browser.js: could not load a page: ${e.message.split('\n')[0]}`);
		}
	}
}

async function run() {
	const { chromium } = require('playwright-core');
	profile = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-chromium-'));
	context = await chromium.launchPersistentContext(profile, {
		executablePath: o.chromium,
		headless: true,
		ignoreHTTPSErrors: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			...(o.resolveLocalhost ? [`--host-resolver-rules=MAP localhost ${o.resolveLocalhost}`] : [])],
		timeout: 30000,
	});
	await context.route('**/*', (route) => {
		let host = '';
		try { host = new URL(route.request().url()).hostname; } catch { /* data: etc */ }
		if (LOOPBACK.has(host) || !/^https?:/.test(route.request().url())) return route.continue();
		return route.abort();
	});
	page = context.pages()[0] || await context.newPage();
	page.setDefaultTimeout(o.timeout * 1000);

	const start = pos[0];
	say(`open ${redact(start)}`);
	try {
		await page.goto(start, { waitUntil: 'load' });
	} catch (e) {
		return finish(3, `browser.js: could not load ${redact(start)}: ${e.message.split('\n')[0]}`);
	}

	let codeEntered = false;
	for (let step = 0; step < 20; step++) {
		const url = page.url();
		const title = await page.title().catch(() => '');
		say(`at ${redact(url)} (${title})`);

		if (isClientLoopback(url)) {
			return finish(0, await pageText());
		}
		if (url.startsWith('chrome-error:')) {
			return finish(3, `browser.js: the browser shows an error page: ${await pageText()}`);
		}

		// device flow pages
		if (await page.locator('form#op\\.deviceInputForm input[name=user_code]').count()) {
			if (mode !== 'device' || codeEntered) {
				return finish(1, `browser.js: the user code page came back:\n${await pageText()}`);
			}
			codeEntered = true;
			await page.fill('input[name=user_code]', pos[1]);
			await act('enter the user code', () => page.click('button[form="op.deviceInputForm"]'));
			continue;
		}
		if (await page.locator('form#op\\.deviceConfirmForm').count()) {
			if (o.deny && o.denyAt === 'confirm') {
				await act('abort on the confirmation page', () => page.click('button[name=abort]'));
				const text = await pageText();
				return finish(/interrupted|aborted/i.test(text) ? 0 : 1, text);
			}
			await act('confirm the device', () => page.click('button[form="op.deviceConfirmForm"]:not([name=abort])'));
			continue;
		}
		if (/Sign-in Success/i.test(title) || /Sign-in Success/.test(await pageText())) {
			return finish(mode === 'device' && !o.deny ? 0 : 1, await pageText());
		}

		// devInteractions login and consent
		if (await page.locator('input[name=prompt][value=login]').count()) {
			await page.fill('input[name=login]', o.user);
			await page.fill('input[name=password]', o.password);
			await act(`sign in as ${o.user}`, () => page.click('button[type=submit]'));
			continue;
		}
		if (await page.locator('input[name=prompt][value=consent]').count()) {
			if (o.deny && o.denyAt === 'consent') {
				await act('cancel on the consent page', () => page.click('a:has-text("Cancel")'));
				if (mode === 'device') {
					const text = await pageText();
					if (isClientLoopback(page.url())) return finish(0, text);
					return finish(/interrupted|aborted|denied|error/i.test(text) ? 0 : 1, text);
				}
				continue;
			}
			await act('consent (Continue)', () => page.click('button[type=submit]'));
			continue;
		}
		return finish(1, `browser.js: unexpected page ${redact(url)} (${title}):\n${await pageText()}`);
	}
	return finish(1, 'browser.js: too many steps');
}

setTimeout(() => {
	say(`timed out after ${o.timeout} s`);
	finish(124, 'browser.js: timeout');
}, o.timeout * 1000).unref();

run().catch((e) => finish(1, `browser.js: ${e.stack || e}`));
