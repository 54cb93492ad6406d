#!/usr/bin/env node
// Sends one message over plain SMTP without authentication (for injecting a
// test message into a private Postfix on loopback). No dependencies.
//
//   node smtpsend.js PORT FROM TO SUBJECT [HOST]
//
// Exits 0 when the server accepted the message (250 after DATA), 1 otherwise,
// and prints the dialogue (server replies prefixed "S: ", commands "C: ").
'use strict';

const net = require('net');

const [portArg, from, to, subject, hostArg] = process.argv.slice(2);
const port = parseInt(portArg, 10);
const host = hostArg || '127.0.0.1';
if (!port || !from || !to || !subject) {
  process.stderr.write('usage: smtpsend.js PORT FROM TO SUBJECT [HOST]\n');
  process.exit(2);
}

const body = [
  `From: <${from}>`,
  `To: <${to}>`,
  `Subject: ${subject}`,
  `Date: ${new Date().toUTCString()}`,
  `Message-ID: <${Date.now()}.${process.pid}@e2e.test>`,
  '',
  'sent by the sasl-oauth2 end-to-end tests',
  '',
].join('\r\n');

// [command to send after the reply, expected reply class]
const steps = [
  [null, '2'], // banner
  ['EHLO e2e.test', '2'],
  [`MAIL FROM:<${from}>`, '2'],
  [`RCPT TO:<${to}>`, '2'],
  ['DATA', '3'],
  [`${body}.`, '2'],
  ['QUIT', '2'],
];

let step = 0;
let buf = '';
let accepted = false;
const sock = net.connect(port, host);
const timer = setTimeout(() => { console.log('timeout'); process.exit(1); }, 15000);

function send(line) {
  console.log(`C: ${line.split('\r\n')[0]}${line.includes('\r\n') ? ' ...' : ''}`);
  sock.write(`${line}\r\n`);
}

sock.setEncoding('utf8');
sock.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i).replace(/\r$/, '');
    buf = buf.slice(i + 1);
    console.log(`S: ${line}`);
    if (/^\d{3}-/.test(line)) continue; // continuation line
    const want = steps[step][1];
    if (line[0] !== want) {
      clearTimeout(timer);
      sock.end('QUIT\r\n');
      process.exitCode = 1;
      return;
    }
    if (step === 5) accepted = true;
    step++;
    if (step >= steps.length) {
      clearTimeout(timer);
      sock.end();
      process.exitCode = accepted ? 0 : 1;
      return;
    }
    send(steps[step][0]);
  }
});
sock.on('error', (e) => { console.log(`error: ${e.message}`); clearTimeout(timer); process.exitCode = 1; });
sock.on('close', () => { clearTimeout(timer); if (!accepted) process.exitCode = 1; });
