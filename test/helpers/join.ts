/** A join server of a test fleet with fake k3s tokens, a settable clock and captured log lines. */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';
import { fleetId } from '../../src/node/fleet-crypto.js';
import { createJoinServer, type JoinServerOptions, type JoinTokens } from '../../src/cluster/join-server.js';

/** Full tokens in the k3s form, random per run (so a grep for them cannot match by chance). */
export function fakeTokens(): JoinTokens {
  const ca = randomBytes(32).toString('hex');
  return {
    server: `K10${ca}::server:${randomBytes(16).toString('hex')}`,
    agent: `K10${ca}::node:${randomBytes(16).toString('hex')}`,
  };
}

export interface TestFleet {
  key: Buffer;
  keyBase64: string;
  fleetId: string;
}

export function testFleet(): TestFleet {
  const key = randomBytes(32);
  const keyBase64 = key.toString('base64');
  return { key, keyBase64, fleetId: fleetId(keyBase64) };
}

/** A logger at debug level whose JSON lines land in `lines`. */
export function capturedLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger({ level: 'debug', format: 'json', destination }), lines };
}

/** The strings no answer or log line may contain: the key in every encoding, and the tokens. */
export function secretsOf(fleet: TestFleet, tokens: JoinTokens): string[] {
  const passwords = [tokens.server, tokens.agent].map((t) => t.slice(t.lastIndexOf(':') + 1));
  return [
    fleet.keyBase64,
    fleet.key.toString('base64url'),
    fleet.key.toString('hex'),
    tokens.server,
    tokens.agent,
    ...passwords,
  ];
}

export async function joinServerFor(fleet: TestFleet, over: Partial<JoinServerOptions> = {}) {
  const tokens = fakeTokens();
  const clock = { t: 1000 };
  const ready = new Set<string>();
  const { log, lines } = capturedLog();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'nucmesh-join-'));
  const server = createJoinServer({
    fleetKey: fleet.key,
    fleetId: fleet.fleetId,
    nodeId: 'nuc-seed',
    registrarNodeId: 'nuc-seed',
    dataDir,
    servers: 3,
    clusterId: 'lab-1',
    serverUrl: () => 'https://127.0.0.1:6443',
    tokens: async () => tokens,
    isServerReady: (id) => ready.has(id),
    now: () => clock.t,
    log,
    ...over,
  });
  return { server, tokens, clock, ready, lines, dataDir };
}
