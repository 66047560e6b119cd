/**
 * Sends raw mDNS packets from inside a lab host, as a hostile or foreign peer would:
 *   node send-packets.js FILE [REPEAT] [GAP_MS]
 * FILE is a JSON array of base64 packets; they go to 224.0.0.251:5353 from port 5353.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

const [file, repeatArg, gapArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: send-packets FILE [REPEAT] [GAP_MS]');
  process.exit(2);
}
const packets = (JSON.parse(readFileSync(file, 'utf8')) as string[]).map((b) => Buffer.from(b, 'base64'));
const repeat = Number(repeatArg ?? 1);
const gap = Number(gapArg ?? 0);
const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
await new Promise<void>((r) => socket.bind(5353, '0.0.0.0', r));
let sent = 0;
for (let i = 0; i < repeat; i++) {
  for (const p of packets) {
    await new Promise<void>((resolve) => socket.send(p, 5353, '224.0.0.251', () => resolve()));
    sent++;
  }
  if (gap > 0) await new Promise((r) => setTimeout(r, gap));
}
socket.close();
console.log(JSON.stringify({ sent }));
