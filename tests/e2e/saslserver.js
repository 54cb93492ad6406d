#!/usr/bin/env node
// A small IMAP, SMTP and POP3 server for the end-to-end tests with
// provider-sized tokens: it takes SASL lines of any length (Dovecot 2.3's
// login processes cannot take ~4 KB) or, per listener, enforces a command
// line limit as Gmail does for SMTP (RFC 5321's 512 octets: "555-5.5.2
// Syntax error, command line too long") and RFC 2449 does for POP3 (255).
// XOAUTH2 and OAUTHBEARER tokens are checked at the same introspection
// endpoint as Dovecot's (introspect.js). No dependencies; 127.0.0.1 only.
//
//   node saslserver.js INTROSPECT_PORT MAILDIR LISTENER...
//
// LISTENER is imap:PORT, smtp:PORT[:LINE_MAX] or pop:PORT[:LINE_MAX]
// (LINE_MAX: the longest command line accepted, CRLF included; none when
// left out). Messages taken over SMTP are stored in MAILDIR, one file each.
//
// One log line per authentication, never a token:
//   AUTH smtp:PORT XOAUTH2 ir=line|withheld line=N response=N user=U reply=- ok
//   AUTH smtp:PORT XOAUTH2 ir=line line=N too-long
// ir=line: the response was on the AUTH/AUTHENTICATE line (line=N: its
// octets with CRLF); ir=withheld: it came after the empty challenge.
// reply: how the client answered the error challenge (empty, 01, other).
'use strict';

const net = require('net');
const http = require('http');
const fs = require('fs');
const path = require('path');

const introspectPort = parseInt(process.argv[2], 10);
const mailDir = process.argv[3];
const listeners = process.argv.slice(4);
if (!introspectPort || !mailDir || listeners.length === 0) {
  process.stderr.write('usage: saslserver.js INTROSPECT_PORT MAILDIR imap:PORT|smtp:PORT[:MAX]|pop:PORT[:MAX]...\n');
  process.exit(2);
}
fs.mkdirSync(mailDir, { recursive: true });
const LINE_HARD_MAX = 64 * 1024; // bounds what a client can make us buffer
let seq = 0;

function log(msg) { process.stdout.write(`${new Date().toISOString()} ${msg}\n`); }

// Asks the introspection endpoint as Dovecot does (form POST).
function introspect(token) {
  return new Promise((resolve) => {
    const body = `token=${encodeURIComponent(token)}&client_id=&client_secret=`;
    const req = http.request({
      host: '127.0.0.1', port: introspectPort, method: 'POST', path: '/introspect',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let b = '';
      res.on('data', (c) => { b += c; });
      res.on('end', () => { try { resolve(JSON.parse(b)); } catch (e) { resolve({}); } });
    });
    req.on('error', () => resolve({}));
    req.end(body);
  });
}

// The user and token in an initial response, or null when it has neither
// mechanism's shape.
function parseResponse(mech, raw) {
  const s = raw.toString('latin1');
  let m;
  if (mech === 'XOAUTH2') {
    m = /^user=([^\x01]*)\x01auth=Bearer ([^\x01]+)\x01\x01$/.exec(s);
    return m ? { user: m[1], token: m[2] } : null;
  }
  m = /^n,(?:a=([^,]*))?,\x01(?:(?:host|port)=[^\x01]*\x01)*auth=Bearer ([^\x01]+)\x01\x01$/.exec(s);
  return m ? { user: (m[1] || '').replace(/=2C/g, ',').replace(/=3D/g, '='), token: m[2] } : null;
}

const ERROR_CHALLENGE = {
  XOAUTH2: '{"status":"401","schemes":"bearer","scope":"mail"}',
  OAUTHBEARER: '{"status":"invalid_token"}',
};

// One connection: a line reader and the protocol's handler. The SASL
// exchange is the same in the three protocols but for the words.
class Conn {
  constructor(sock, proto, name, lineMax) {
    this.sock = sock;
    this.proto = proto;
    this.name = name;
    this.lineMax = lineMax;
    this.buf = Buffer.alloc(0);
    this.lines = []; // [line, octets] read and not yet taken
    this.waiter = null; // resolves the pending nextLine()
    this.inData = false;
    this.data = [];
    sock.on('error', () => {});
    sock.on('data', (d) => this.onData(d));
  }

  send(s) { if (!this.sock.destroyed) this.sock.write(`${s}\r\n`); }

  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    let i;
    while ((i = this.buf.indexOf(10)) >= 0) {
      const octets = i + 1; // with the LF (and the CR before it, if any)
      this.lines.push([this.buf.subarray(0, i).toString('latin1').replace(/\r$/, ''), octets]);
      this.buf = this.buf.subarray(i + 1);
    }
    if (this.buf.length > LINE_HARD_MAX) this.sock.destroy();
    if (this.waiter && this.lines.length > 0) {
      const w = this.waiter;
      this.waiter = null;
      w(this.lines.shift());
    }
  }

  // The next line and its octets; the protocol loop and a SASL exchange
  // waiting for the client's response both read through here.
  nextLine() {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
    return new Promise((resolve) => { this.waiter = resolve; });
  }

  async run(handler) {
    while (!this.sock.destroyed) {
      const [line, octets] = await this.nextLine();
      await handler(line, octets);
    }
  }

  // The protocol's words for a challenge, success and failure.
  challenge(b64) { this.send(this.proto === 'imap' ? `+ ${b64}` : this.proto === 'smtp' ? `334 ${b64}` : `+ ${b64}`); }

  async sasl(tag, mech, ir, octets) {
    const rec = `AUTH ${this.name} ${mech}`;
    const fail = (why) => {
      if (this.proto === 'imap') this.send(`${tag} NO [AUTHENTICATIONFAILED] ${why}`);
      else if (this.proto === 'smtp') this.send(`535 5.7.8 ${why}`);
      else this.send(`-ERR [AUTH] ${why}`);
    };
    if (mech !== 'XOAUTH2' && mech !== 'OAUTHBEARER') {
      log(`${rec} unknown-mechanism`);
      if (this.proto === 'imap') this.send(`${tag} NO unsupported mechanism`);
      else if (this.proto === 'smtp') this.send('504 5.5.4 unsupported mechanism');
      else this.send('-ERR unsupported mechanism');
      return;
    }
    let where = 'line';
    if (ir === undefined) {
      where = 'withheld';
      this.challenge('');
      ir = (await this.nextLine())[0];
    }
    if (ir === '*') { log(`${rec} ir=${where} cancelled`); fail('cancelled'); return; }
    const raw = Buffer.from(ir === '=' ? '' : ir, 'base64');
    const p = parseResponse(mech, raw);
    const info = `${rec} ir=${where} line=${where === 'line' ? octets : '-'} response=${raw.length} user=${p ? p.user : '-'}`;
    const r = p ? await introspect(p.token) : {};
    if (p && r.active === true && r.username === p.user) {
      log(`${info} reply=- ok`);
      if (this.proto === 'imap') this.send(`${tag} OK Logged in`);
      else if (this.proto === 'smtp') this.send('235 2.7.0 Accepted');
      else this.send('+OK Logged in');
      this.user = p.user;
      return;
    }
    this.challenge(Buffer.from(ERROR_CHALLENGE[mech]).toString('base64'));
    const reply = Buffer.from((await this.nextLine())[0], 'base64');
    const rs = reply.length === 0 ? 'empty' : reply.length === 1 && reply[0] === 1 ? '01' : 'other';
    log(`${info} reply=${rs} rejected`);
    fail('authentication failed');
  }

  tooLong(octets) { return this.lineMax > 0 && octets > this.lineMax; }
}

function smtpHandler(c) {
  c.send('220 saslserver.e2e.test ESMTP');
  return async (line, octets) => {
    if (c.inData) {
      if (line === '.') {
        c.inData = false;
        fs.writeFileSync(path.join(mailDir, `msg-${process.pid}-${++seq}.eml`), `${c.data.join('\n')}\n`);
        c.data = [];
        c.send('250 2.0.0 stored');
      } else {
        c.data.push(line.startsWith('..') ? line.slice(1) : line);
      }
      return;
    }
    const words = line.split(' ');
    const verb = words[0].toUpperCase();
    if (c.tooLong(octets)) {
      if (verb === 'AUTH') log(`AUTH ${c.name} ${(words[1] || '').toUpperCase()} ir=line line=${octets} too-long`);
      c.send('555-5.5.2 Syntax error, command line too long. This server, like Gmail,');
      c.send('555 5.5.2 takes at most 512 octets per line (RFC 5321 4.5.3.1.4).');
      return;
    }
    switch (verb) {
      case 'EHLO':
        c.send('250-saslserver.e2e.test');
        c.send('250-AUTH XOAUTH2 OAUTHBEARER');
        c.send('250-8BITMIME');
        c.send('250 ENHANCEDSTATUSCODES');
        break;
      case 'HELO': c.send('250 saslserver.e2e.test'); break;
      case 'AUTH': await c.sasl(null, (words[1] || '').toUpperCase(), words[2], octets); break;
      case 'MAIL':
        if (!c.user) { c.send('530 5.7.0 Authentication required'); break; }
        c.data = [`X-Authenticated: ${c.user}`];
        c.send('250 2.1.0 ok');
        break;
      case 'RCPT': c.send('250 2.1.5 ok'); break;
      case 'DATA': c.inData = true; c.send('354 go ahead'); break;
      case 'RSET': case 'NOOP': c.send('250 2.0.0 ok'); break;
      case 'QUIT': c.send('221 2.0.0 bye'); c.sock.end(); break;
      default: c.send('502 5.5.2 not implemented');
    }
  };
}

function popHandler(c) {
  c.send('+OK saslserver.e2e.test POP3 ready');
  return async (line, octets) => {
    const words = line.split(' ');
    const verb = words[0].toUpperCase();
    if (c.tooLong(octets)) {
      if (verb === 'AUTH') log(`AUTH ${c.name} ${(words[1] || '').toUpperCase()} ir=line line=${octets} too-long`);
      c.send('-ERR command line too long (RFC 2449: 255 octets)');
      return;
    }
    switch (verb) {
      case 'CAPA': c.send('+OK'); c.send('SASL XOAUTH2 OAUTHBEARER'); c.send('UIDL'); c.send('.'); break;
      case 'AUTH':
        if (words.length === 1) { c.send('+OK'); c.send('XOAUTH2'); c.send('OAUTHBEARER'); c.send('.'); break; }
        await c.sasl(null, words[1].toUpperCase(), words[2], octets);
        break;
      case 'STAT': c.send('+OK 0 0'); break;
      case 'LIST': case 'UIDL': c.send('+OK 0 messages'); c.send('.'); break;
      case 'NOOP': c.send('+OK'); break;
      case 'QUIT': c.send('+OK bye'); c.sock.end(); break;
      default: c.send('-ERR not implemented');
    }
  };
}

// Enough IMAP for imtest, mbsync and mutt to log in and find an empty INBOX.
function imapHandler(c) {
  const caps = 'IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER';
  c.send(`* OK [CAPABILITY ${caps}] saslserver.e2e.test ready`);
  return async (line, octets) => {
    const words = line.split(' ');
    const tag = words[0];
    const verb = (words[1] || '').toUpperCase();
    const uid = verb === 'UID';
    switch (verb) {
      case 'CAPABILITY': c.send(`* CAPABILITY ${caps}`); c.send(`${tag} OK done`); break;
      case 'AUTHENTICATE': await c.sasl(tag, (words[2] || '').toUpperCase(), words[3], octets); break;
      case 'LOGOUT': c.send('* BYE bye'); c.send(`${tag} OK done`); c.sock.end(); break;
      case 'LIST': case 'LSUB': c.send(`* ${verb} (\\HasNoChildren) "/" INBOX`); c.send(`${tag} OK done`); break;
      case 'SELECT': case 'EXAMINE':
        c.send('* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)');
        c.send('* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)] ok');
        c.send('* 0 EXISTS');
        c.send('* 0 RECENT');
        c.send('* OK [UIDVALIDITY 1] ok');
        c.send('* OK [UIDNEXT 1] ok');
        c.send(`${tag} OK [${verb === 'SELECT' ? 'READ-WRITE' : 'READ-ONLY'}] ${verb} completed`);
        break;
      case 'STATUS': { // the items asked for, in their order (Mail::IMAPClient wants that)
        const values = { MESSAGES: 0, RECENT: 0, UIDNEXT: 1, UIDVALIDITY: 1, UNSEEN: 0 };
        const asked = (/\(([^)]*)\)/.exec(line) || [, ''])[1].split(' ').filter((w) => w.toUpperCase() in values);
        c.send(`* STATUS ${words[2]} (${asked.map((w) => `${w.toUpperCase()} ${values[w.toUpperCase()]}`).join(' ')})`);
        c.send(`${tag} OK STATUS completed`);
        break;
      }
      case 'LOGIN': c.send(`${tag} NO [PRIVACYREQUIRED] tokens only: use AUTHENTICATE`); break;
      default: c.send(`${tag} OK ${uid ? 'UID ' : ''}done`);
    }
  };
}

for (const spec of listeners) {
  const [proto, portStr, maxStr] = spec.split(':');
  const port = parseInt(portStr, 10);
  const lineMax = maxStr ? parseInt(maxStr, 10) : 0;
  const handler = { imap: imapHandler, smtp: smtpHandler, pop: popHandler }[proto];
  if (!handler || !port) {
    process.stderr.write(`saslserver: bad listener ${spec}\n`);
    process.exit(2);
  }
  net.createServer((sock) => {
    const c = new Conn(sock, proto, `${proto}:${port}`, lineMax);
    c.run(handler(c));
  }).on('error', (e) => {
    process.stderr.write(`saslserver: ${spec}: ${e.message}\n`);
    process.exit(1);
  }).listen(port, '127.0.0.1', () => log(`listening on ${spec}`));
}
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
