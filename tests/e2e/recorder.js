#!/usr/bin/env node
// A mail server that offers no STARTTLS and records every byte it receives,
// for the tunnel's refusal tests.
//   node recorder.js PORT FILE imap|pop3
// IMAP: greets "* OK", answers CAPABILITY (IMAP4rev1 AUTH=XOAUTH2, no
// STARTTLS) and NO to anything else. POP3: greets "+OK", answers CAPA
// (USER, SASL XOAUTH2, no STLS) and -ERR to anything else. Every byte
// received is appended to FILE. Prints "listening PORT" when ready.
'use strict';
const net = require('net');
const fs = require('fs');
const [port, file, proto] = process.argv.slice(2);
const imap = proto !== 'pop3';
net.createServer((s) => {
  let buf = '';
  s.write(imap ? '* OK recorder ready\r\n' : '+OK recorder ready\r\n');
  s.on('data', (d) => {
    fs.appendFileSync(file, d);
    buf += d.toString('latin1');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      const [tag, cmd] = line.split(' ');
      if (imap && /^capability$/i.test(cmd || '')) {
        s.write(`* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\n${tag} OK done\r\n`);
      } else if (imap) {
        s.write(`${tag || '*'} NO not here\r\n`);
      } else if (/^capa$/i.test(tag)) {
        s.write('+OK\r\nUSER\r\nSASL XOAUTH2\r\n.\r\n');
      } else {
        s.write('-ERR not here\r\n');
      }
    }
  });
  s.on('error', () => {});
}).listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
process.on('SIGTERM', () => process.exit(0));
