/**
 * Building adverts as raw mDNS packets and sending them from a lab host, for tests that play a
 * foreign or hostile peer.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket, { type Answer } from 'dns-packet';
import { advertToTxt, type AdvertFields } from '../../src/discovery/advert.js';
import { signAdvert } from '../../src/discovery/signature.js';
import { downNoticeRecord } from '../../src/discovery/down-notice.js';
import type { DownNotice } from '../../src/node/notice.js';
import type { NetnsLab } from './harness.js';

const senderScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'send-packets.js');

export function advertFields(
  nodeId: string,
  fleetId: string,
  generation: number,
  more: Partial<AdvertFields> = {},
): AdvertFields {
  return { version: 1, nodeId, fleetId, state: 'forming', clusterId: '', generation, ...more };
}

/** An announcement of `instance` with these TXT pairs, pointing at `address`. */
export function announcement(instance: string, txt: Record<string, string>, address: string, port = 8443): Buffer {
  const fqdn = `${instance}._nucmesh._tcp.local`;
  const host = `${instance}.local`;
  const answers: Answer[] = [
    { type: 'PTR', name: '_nucmesh._tcp.local', ttl: 4500, data: fqdn },
    { type: 'SRV', name: fqdn, ttl: 120, flush: true, data: { target: host, port } },
    {
      type: 'TXT',
      name: fqdn,
      ttl: 4500,
      flush: true,
      data: Object.entries(txt).map(([k, v]) => Buffer.from(`${k}=${v}`)),
    },
    { type: 'A', name: host, ttl: 120, flush: true, data: address },
  ];
  return dnsPacket.encode({ type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER, answers });
}

/** TXT pairs of an advert signed with `key` for `instance`. */
export function signedTxt(key: Buffer, instance: string, f: AdvertFields): Record<string, string> {
  return advertToTxt({ ...f, signature: signAdvert(key, instance, f) });
}

function writePackets(file: string, packets: Buffer[]): string {
  writeFileSync(file, JSON.stringify(packets.map((p) => p.toString('base64'))));
  return file;
}

/** Multicast `packets` (`repeat` times) from lab host `host` with send-packets.js; the file goes in `dir`. */
export async function sendPackets(
  lab: NetnsLab,
  host: string,
  dir: string,
  name: string,
  packets: Buffer[],
  repeat = 1,
): Promise<void> {
  const file = writePackets(path.join(dir, `${name}.json`), packets);
  const r = await lab.run(host, process.execPath, [senderScript, file, String(repeat)]);
  assert.equal(r.code, 0, r.stderr);
}

/** A query for `instance`'s SRV record carrying a down notice in its additional section (down-notice.ts). */
export function noticeQuery(instance: string, notice: DownNotice): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: 0,
    questions: [{ type: 'SRV', name: `${instance}._nucmesh._tcp.local` }],
    additionals: [downNoticeRecord(notice)],
  });
}
