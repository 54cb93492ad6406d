#!/usr/bin/env node
// A tiny syslog receiver for the end-to-end tests. No dependencies.
//
//   node syslogd.js SOCKET LOGFILE
//
// Listens on a unix STREAM socket (glibc's syslog() falls back to
// SOCK_STREAM when /dev/log is a stream socket) and appends one line per
// message to LOGFILE: "<severity> <message>", e.g.
//   warning imtest: XOAUTH2: the server rejected the token (status 401)
// The tests point /dev/log at SOCKET inside a private mount namespace, so
// that what a libsasl2 client without a log callback (imtest, smtptest)
// sends to syslog can be read. Messages are NUL- or newline-terminated.
'use strict';

const net = require('net');
const fs = require('fs');

const [sockPath, logFile] = process.argv.slice(2);
if (!sockPath || !logFile) {
  process.stderr.write('usage: syslogd.js SOCKET LOGFILE\n');
  process.exit(2);
}
const SEV = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

function record(msg) {
  if (!msg) return;
  let sev = 'unknown';
  const m = /^<(\d{1,3})>/.exec(msg);
  if (m) {
    sev = SEV[parseInt(m[1], 10) & 7];
    msg = msg.slice(m[0].length);
    // strip the RFC 3164 timestamp "Mmm dd hh:mm:ss "
    msg = msg.replace(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /, '');
  }
  fs.appendFileSync(logFile, `${sev} ${msg.replace(/[\r\n]+$/, '')}\n`);
}

try { fs.unlinkSync(sockPath); } catch (e) { /* absent */ }
fs.writeFileSync(logFile, '');
const server = net.createServer((c) => {
  let buf = '';
  c.setEncoding('utf8');
  c.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.search(/[\0\n]/)) >= 0) {
      record(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  c.on('end', () => { record(buf); buf = ''; });
  c.on('error', () => {});
});
server.listen(sockPath, () => fs.chmodSync(sockPath, 0o666));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
