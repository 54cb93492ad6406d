#!/usr/bin/env node
// Token-file helper for the refresh tests (test_concurrency.sh, test_crash.sh,
// bench/refresh_storm.sh). Never prints a token: only short SHA-256 digests.
//
//   node tokfile.js create PATH < JSON
//       writes the JSON object from stdin to PATH, mode 0600, atomically
//       (temp file + fsync + rename)
//   node tokfile.js get PATH KEY
//       prints one member's value (for the test's own use: may be a token)
//   node tokfile.js expire PATH [SECONDS_AGO]
//       sets expires_at (and expiry, when present) to now - SECONDS_AGO
//       (default 120), keeping every other member, atomically, mode 0600
//   node tokfile.js inspect PATH [--stats URL --ca FILE] [--set-delay N]
//                                [--expire SECONDS_AGO]
//       checks the file and prints one line of shell-safe words:
//         valid=1|0 why=WORD mode=600 rt=HASH at=HASH expires_at=N
//         refreshed_at=N tmpfiles=N tmpunsafe=N
//         [requests=N refresh_ok=N refresh_failed=N]
//       valid=1 means: a regular file, mode 0600, a JSON object with a non-empty
//       string refresh_token and access_token. tmpfiles counts the plugin's
//       temporary files beside it (.BASENAME.XXXXXX, mkostemp), tmpunsafe those
//       of them that are not regular files of mode 0600. With --stats, GET URL
//       (authserver /admin/stats, trusting --ca) and print its counters; with
//       --set-delay, POST URL's /admin/config {"delay_ms":N} first. With
//       --expire and a valid file, expire it afterwards.
//       Exit 0 when valid, 1 otherwise, 2 on misuse.
//   node tokfile.js serve
//       runs the commands above (except create), read one a line from
//       stdin, words separated by tabs; answers each with one line,
//       "RC<TAB>OUTPUT" (see serve() below)
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const path = require('path');

function die(msg) {
  process.stderr.write(`tokfile: ${msg}\n`);
  process.exit(2);
}

function hash(v) {
  if (typeof v !== 'string' || v === '') return '-';
  return crypto.createHash('sha256').update(v).digest('hex').slice(0, 12);
}

// Atomic replace, like the plugin does it: a 0600 temp file in the same
// directory, fsync, rename. The temp name (.BASE.rw-PID) never matches the
// plugin's (.BASE.XXXXXX), so inspect's tmpfiles count stays the plugin's.
function writeAtomic(p, obj) {
  const tmp = path.join(path.dirname(p), `.${path.basename(p)}.rw-${process.pid}`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT |
    fs.constants.O_EXCL, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, `${JSON.stringify(obj, null, 1)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, p);
}

function readObj(p) {
  const o = JSON.parse(fs.readFileSync(p, 'utf8'));
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error('not an object');
  return o;
}

function expire(p, ago) {
  const o = readObj(p);
  const t = Math.floor(Date.now() / 1000) - ago;
  o.expires_at = t;
  if ('expiry' in o) o.expiry = String(t);
  writeAtomic(p, o);
}

const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, url, ca, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(url, {
      method, ca, agent,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {},
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    if (data) req.write(data);
    req.end();
  });
}

async function inspect(p, opts) {
  const out = { valid: 0, why: 'ok', mode: '-', rt: '-', at: '-', expires_at: '-', refreshed_at: '-', tmpfiles: 0, tmpunsafe: 0 };
  const base = path.basename(p);
  const re = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[A-Za-z0-9]{6}$`);
  try {
    const tmps = fs.readdirSync(path.dirname(p)).filter((n) => re.test(n));
    out.tmpfiles = tmps.length;
    // they hold tokens: each must be a regular file, mode 0600
    out.tmpunsafe = tmps.filter((n) => {
      const st = fs.lstatSync(path.join(path.dirname(p), n));
      return !st.isFile() || (st.mode & 0o777) !== 0o600;
    }).length;
  } catch (e) { /* reported through the file checks */ }
  let obj;
  try {
    const st = fs.lstatSync(p);
    out.mode = (st.mode & 0o7777).toString(8);
    if (!st.isFile()) out.why = 'not_a_regular_file';
    else if ((st.mode & 0o777) !== 0o600) out.why = 'mode_not_600';
    obj = readObj(p);
  } catch (e) {
    if (out.why === 'ok') out.why = e.code === 'ENOENT' ? 'missing' : (e instanceof SyntaxError ? 'bad_json' : 'unreadable');
  }
  if (obj) {
    out.rt = hash(obj.refresh_token);
    out.at = hash(obj.access_token);
    out.expires_at = Number.isFinite(obj.expires_at) ? obj.expires_at : '-';
    out.refreshed_at = Number.isFinite(obj.refreshed_at) ? obj.refreshed_at : '-';
    if (out.why === 'ok') {
      if (typeof obj.refresh_token !== 'string' || obj.refresh_token === '') out.why = 'no_refresh_token';
      else if (typeof obj.access_token !== 'string' || obj.access_token === '') out.why = 'no_access_token';
    }
  }
  out.valid = out.why === 'ok' ? 1 : 0;
  if (opts.stats) {
    const ca = fs.readFileSync(opts.ca);
    if (opts.delay !== undefined) {
      await request('POST', opts.stats.replace(/\/admin\/stats$/, '/admin/config'), ca, { delay_ms: opts.delay });
    }
    const s = await request('GET', opts.stats, ca);
    out.requests = s.token_requests;
    out.refresh_ok = s.refresh_ok;
    out.refresh_failed = s.refresh_failed;
  }
  if (out.valid && opts.expire !== undefined) expire(p, opts.expire);
  print(Object.entries(out).map(([k, v]) => `${k}=${v}`).join(' '));
  return out.valid ? 0 : 1;
}

let print = (line) => process.stdout.write(`${line}\n`);

// serve: one command a line on stdin (its words separated by tabs, as on
// the command line after "tokfile.js"), one line back for each on stdout:
// "RC<TAB>OUTPUT" (OUTPUT: what the command prints, or the error message).
// For loops that would otherwise pay node's start-up on every iteration.
function serve() {
  const rl = require('readline').createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  rl.on('line', (line) => {
    chain = chain.then(async () => {
      let out = '';
      print = (l) => { out += (out ? ' ' : '') + l; };
      let rc;
      try {
        rc = await run(line.split('\t'));
      } catch (e) {
        rc = 1;
        out = `error: ${e.message}`;
      }
      process.stdout.write(`${rc}\t${out.replace(/[\r\n\t]/g, ' ')}\n`);
    });
  });
  rl.on('close', () => chain.then(() => process.exit(0)));
  return new Promise(() => {});
}

async function main() {
  if (process.argv[2] === 'serve') return serve();
  return run(process.argv.slice(2));
}

async function run(args) {
  const [cmd, p, ...rest] = args;
  if (!cmd || !p) die('usage: tokfile.js create|get|expire|inspect PATH ... | serve');
  switch (cmd) {
    case 'create': {
      const o = JSON.parse(fs.readFileSync(0, 'utf8'));
      writeAtomic(p, o);
      return 0;
    }
    case 'get': {
      const v = readObj(p)[rest[0]];
      if (v === undefined) return 1;
      print(typeof v === 'string' ? v : JSON.stringify(v));
      return 0;
    }
    case 'expire':
      expire(p, rest[0] === undefined ? 120 : parseInt(rest[0], 10));
      return 0;
    case 'inspect': {
      const o = {};
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i];
        if (a === '--stats') o.stats = rest[++i];
        else if (a === '--ca') o.ca = rest[++i];
        else if (a === '--set-delay') o.delay = parseInt(rest[++i], 10);
        else if (a === '--expire') o.expire = parseInt(rest[++i], 10);
        else throw new Error(`inspect: unexpected ${a}`);
      }
      if (o.stats && !o.ca) throw new Error('inspect: --stats needs --ca');
      return inspect(p, o);
    }
    default:
      return die(`unknown command ${cmd}`);
  }
}

main().then((rc) => process.exit(rc), (e) => {
  process.stderr.write(`tokfile: ${e.message}\n`);
  process.exit(1);
});
