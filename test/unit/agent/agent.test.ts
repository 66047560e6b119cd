/**
 * The agent never dies silently: without a fleet config it stays up in no-fleet-config with
 * the health route answering, a broken file is bad-fleet-config naming the field, and a valid
 * file brings it on (discovery, then the cluster steps) without a restart; a boot step that fails is retried with the
 * reason shown. In-process, API on a free loopback-reachable port, discovery on an interface
 * that does not exist (nothing is sent on this machine's LAN).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../../src/log.js';
import { newFleetConfig, renderFleetConfig } from '../../../src/config/fleet.js';
import { fleetKeyBytes, verifyHeartbeatProof } from '../../../src/node/fleet-crypto.js';
import { startAgent, type AgentHandle, type AgentHost } from '../../../src/agent/agent.js';
import type { NodeStateName } from '../../../src/node/node-state.js';
import { ownFixturesDir } from '../../helpers/paths.js';

const capture = path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7');
const quiet = createLogger({ level: 'silent', format: 'json' });
/** A machine with no EFI partition named (as a developer's laptop). */
const noEsp: AgentHost = {
  espStatus: async () => ({ present: false }),
  mountedIsBootEsp: async () => false,
  startUnit: async () => {},
  reboot: async () => {},
};

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * An agent on the synthetic NUC capture, API on a free port, discovery on no real interface, and
 * no k3s: past the fleet config its cluster steps stop at check-k3s (`k3s-missing`).
 */
function startTestAgent(fleetFile: string, dataDir: string): AgentHandle {
  const k3s = { bin: path.join(dataDir, 'no-k3s-here') };
  const options = {
    fleetFile,
    dataDir,
    hardwareFrom: capture,
    interfaces: ['nm-none0'],
    apiPort: 0,
    fleetPollMs: 30,
    k3s,
  };
  return startAgent(options, quiet, noEsp);
}

const inState = (agent: AgentHandle, s: NodeStateName) => () =>
  agent.state.current.state === s ? agent.state.current : undefined;

async function health(agent: AgentHandle): Promise<Record<string, unknown>> {
  const port = await until('API listening', () => agent.apiPort());
  const r = await fetch(`http://127.0.0.1:${port}/v1/health`);
  assert.equal(r.status, 200);
  return (await r.json()) as Record<string, unknown>;
}

describe('agent without a usable fleet config', () => {
  it('waits in no-fleet-config, then bad-fleet-config naming the field, then goes on by itself (to k3s-missing here)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-agent-nofleet-'));
    const fleetFile = path.join(dir, 'esp/nucmesh/fleet.yaml');
    const agent = startTestAgent(fleetFile, path.join(dir, 'data'));
    try {
      await agent.booted;
      const waiting = await until('no-fleet-config', inState(agent, 'no-fleet-config'));
      assert.match(
        waiting.detail ?? '',
        new RegExp(`no fleet config at ${fleetFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
      const h = await health(agent);
      assert.equal(h['state'], 'no-fleet-config');
      const onDisk = () =>
        JSON.parse(readFileSync(path.join(dir, 'data/node-state.json'), 'utf8')) as Record<string, unknown>;
      await until('the state on disk', () => (onDisk()['state'] === 'no-fleet-config' ? true : undefined));
      assert.equal(onDisk()['detail'], waiting.detail, 'the persisted state says why too');
      assert.equal(h['detail'], waiting.detail);
      assert.match(String(h['nodeId']), /^[0-9a-z]{8,}$/, 'the node still knows who it is');
      // No key, so no discovery: the peer routes refuse, and prove nothing.
      const port = agent.apiPort();
      const hb = await fetch(`http://127.0.0.1:${port}/v1/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nonce: 'abcdefghijklmnop0123' }),
      });
      assert.equal(hb.status, 503);

      mkdirSync(path.dirname(fleetFile), { recursive: true });
      const cfg = newFleetConfig('recovering');
      writeFileSync(fleetFile, renderFleetConfig({ ...cfg, servers: 4 }), { mode: 0o600 });
      const bad = await until('bad-fleet-config', inState(agent, 'bad-fleet-config'));
      assert.match(bad.detail ?? '', /\/servers: expected an odd number/);
      assert.equal((await health(agent))['state'], 'bad-fleet-config');

      writeFileSync(fleetFile, renderFleetConfig(cfg), { mode: 0o600 });
      const d = await agent.discovering;
      assert.ok(d, 'discovery started once the file was valid');
      // On by itself: discovery, then the cluster steps, which stop where this machine has no k3s.
      const missing = await until('k3s-missing', inState(agent, 'k3s-missing'));
      assert.doesNotMatch(missing.detail ?? '', /fleet config/, 'the fleet config reason is gone');
      assert.match(missing.detail ?? '', /k3s executable is not installed/);
      const ok = await health(agent);
      assert.equal(ok['state'], 'k3s-missing');
      await until('k3s-missing on disk', () => (onDisk()['state'] === 'k3s-missing' ? true : undefined));
      const nonce = randomBytes(12).toString('base64url');
      const answer = await fetch(`http://127.0.0.1:${agent.apiPort()}/v1/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nonce }),
      });
      assert.equal(answer.status, 200);
      const body = (await answer.json()) as { nodeId: string; generation: number; proof: string };
      assert.ok(
        verifyHeartbeatProof(fleetKeyBytes(cfg), nonce, body.nodeId, body.generation, body.proof),
        'the heartbeat proves the new fleet key',
      );
    } finally {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a boot step that fails shows failed with the reason and is retried until it works', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-agent-failed-'));
    // The data dir's parent is a file: creating the data dir fails (ENOTDIR) until it is fixed.
    const blocker = path.join(dir, 'state');
    writeFileSync(blocker, 'not a directory');
    const fleetFile = path.join(dir, 'fleet.yaml');
    writeFileSync(fleetFile, renderFleetConfig(newFleetConfig('retry')), { mode: 0o600 });
    const agent = startTestAgent(fleetFile, path.join(blocker, 'data'));
    try {
      const failed = await until('failed', inState(agent, 'failed'));
      assert.match(failed.detail ?? '', /^boot: .*ENOTDIR.*Trying again in \d+ s \(attempt 1\)$/);
      assert.equal((await health(agent))['state'], 'failed', 'the API answers while the boot steps fail');
      rmSync(blocker);
      mkdirSync(blocker);
      await agent.booted;
      await until('k3s-missing', inState(agent, 'k3s-missing'));
    } finally {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops cleanly while waiting for a fleet config', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-agent-stop-'));
    const agent = startTestAgent(path.join(dir, 'none.yaml'), path.join(dir, 'data'));
    try {
      await until('no-fleet-config', inState(agent, 'no-fleet-config'));
      const port = await until('API listening', () => agent.apiPort());
      const t0 = Date.now();
      await agent.stop();
      assert.ok(Date.now() - t0 < 3000);
      assert.equal(await agent.discovering, undefined);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/health`), 'the API is closed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
