#!/usr/bin/env node
// A minimal SMTP server that accepts everything and stores each message as a
// file in a directory: the relay behind Dovecot's submission service in the
// end-to-end tests. No dependencies. Listens on 127.0.0.1 only.
//
//   node smtpsink.js PORT DIR
'use strict';

const net = require('net');
const fs = require('fs');
const path = require('path');

const port = parseInt(process.argv[2], 10);
const dir = process.argv[3];
if (!port || !dir) {
  process.stderr.write('usage: smtpsink.js PORT DIR\n');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });
let seq = 0;

const server = net.createServer((c) => {
  let buf = '';
  let inData = false;
  let data = [];
  let envelope = [];
  c.setEncoding('utf8');
  c.on('error', () => {});
  const reply = (s) => c.write(`${s}\r\n`);
  reply('220 sink.e2e.test ESMTP sink');
  c.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      if (inData) {
        if (line === '.') {
          inData = false;
          const f = path.join(dir, `msg-${process.pid}-${++seq}.eml`);
          fs.writeFileSync(f, `${envelope.join('\n')}\n${data.join('\n')}\n`);
          data = [];
          envelope = [];
          reply('250 2.0.0 stored');
        } else {
          data.push(line.startsWith('..') ? line.slice(1) : line);
        }
        continue;
      }
      const verb = line.split(' ')[0].toUpperCase();
      switch (verb) {
        case 'EHLO':
          reply('250-sink.e2e.test');
          reply('250-8BITMIME');
          reply('250-ENHANCEDSTATUSCODES');
          reply('250 PIPELINING');
          break;
        case 'HELO': reply('250 sink.e2e.test'); break;
        case 'MAIL': case 'RCPT': envelope.push(`X-Envelope: ${line}`); reply('250 2.1.0 ok'); break;
        case 'DATA': inData = true; reply('354 go ahead'); break;
        case 'RSET': envelope = []; reply('250 2.0.0 ok'); break;
        case 'NOOP': reply('250 2.0.0 ok'); break;
        case 'QUIT': reply('221 2.0.0 bye'); c.end(); break;
        default: reply('502 5.5.2 not implemented');
      }
    }
  });
});
server.listen(port, '127.0.0.1');
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
