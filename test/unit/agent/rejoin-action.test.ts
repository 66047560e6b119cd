/**
 * POST /v1/actions/rejoin on a running agent does what `nucmesh reset --rejoin` does (k3s stopped
 * and wiped but its airgap images, the cluster and its tokens forgotten, a request to join the
 * named cluster left), then runs the cluster steps again, which take the request: the node is
 * `joining` the named cluster, without a restart. And GET /v1/node names the role and the k3s
 * version. In-process, on a seed's data dir; k3s is a script that answers `--version` and exits
 * otherwise (so the node waits in the k3s steps), discovery on an interface that does not exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/log.js';
import { newFleetConfig, renderFleetConfig } from '../../../src/config/fleet.js';
import { startAgent, type AgentHost } from '../../../src/agent/agent.js';
import { ownFixturesDir } from '../../helpers/paths.js';

const noEsp: AgentHost = {
  espStatus: async () => ({ present: false }),
  mountedIsBootEsp: async () => false,
  startUnit: async () => {},
  reboot: async () => {},
};

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('POST /v1/actions/rejoin wipes k3s, forgets the cluster and joins the named one; /v1/node has role and k3s version', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-rejoin-action-'));
  const dataDir = path.join(dir, 'data');
  const k3sData = path.join(dir, 'k3s');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // A seed that was Ready in its cluster: the record, its tokens, k3s' state and airgap images.
  writeFileSync(
    path.join(dataDir, 'cluster.json'),
    JSON.stringify({ version: 1, formation: 'seed', clusterId: 'lab-0000aaaa', everReady: true }),
  );
  writeFileSync(
    path.join(dataDir, 'seed-tokens.json'),
    JSON.stringify({ token: 'a'.repeat(48), agentToken: 'b'.repeat(48) }),
    {
      mode: 0o600,
    },
  );
  for (const d of ['server/db', 'agent/images', 'agent/etc']) mkdirSync(path.join(k3sData, d), { recursive: true });
  writeFileSync(path.join(k3sData, 'server/db/state.db'), 'etcd');
  writeFileSync(path.join(k3sData, 'agent/images/airgap.tar'), 'images');
  const bin = path.join(dir, 'bin/k3s');
  mkdirSync(path.dirname(bin));
  writeFileSync(
    bin,
    '#!/bin/sh\n[ "$1" = --version ] && echo "k3s version v1.31.4+k3s1 (0123abcd)" && echo "go version go1.23"\nexit 0\n',
  );
  chmodSync(bin, 0o755);
  const configFile = path.join(dir, 'etc/config.yaml');
  const config = newFleetConfig('lab');
  const fleetFile = path.join(dir, 'fleet.yaml');
  writeFileSync(fleetFile, renderFleetConfig(config), { mode: 0o600 });

  const agent = startAgent(
    {
      fleetFile,
      dataDir,
      hardwareFrom: path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7'),
      interfaces: ['nm-none0'],
      apiPort: 0,
      fleetPollMs: 30,
      k3s: { mode: 'child', bin, configFile, dataDir: k3sData, kubeconfig: path.join(dir, 'etc/k3s.yaml') },
    },
    createLogger({ level: 'silent', format: 'json' }),
    noEsp,
  );
  try {
    const port = await until('API listening', () => agent.apiPort());
    const api = (p: string, token: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${p}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const node = async () =>
      (await (await api('/v1/node', config.api.tokens.reader)).json()) as {
        role: string | null;
        versions: { k3s: string | null };
      };
    await until('the seed in its k3s steps', () =>
      ['start-k3s', 'wait-ready'].includes(agent.state.current.step ?? '') ? true : undefined,
    );
    assert.ok(existsSync(path.join(`${configFile}.d`, '50-nucmesh.yaml')), 'the seed wrote its drop-in');
    const before = await until('the k3s version in /v1/node', async () => {
      const n = await node();
      return n.versions.k3s !== null ? n : undefined;
    });
    assert.equal(before.versions.k3s, 'v1.31.4+k3s1');
    assert.equal(before.role, 'server', 'a seed is a server, from its cluster record');

    const refused = await api('/v1/actions/rejoin', config.api.tokens.reader, {
      confirm: 'rejoin',
      clusterId: 'lab-1111bbbb',
    });
    assert.equal(refused.status, 403, 'the reader token cannot');
    assert.equal(readFileSync(path.join(dataDir, 'cluster.json'), 'utf8').includes('lab-0000aaaa'), true);
    const r = await api('/v1/actions/rejoin', config.api.tokens.admin, {
      confirm: 'rejoin',
      clusterId: 'lab-1111bbbb',
    });
    assert.equal(r.status, 202);

    const joining = await until('joining the named cluster', () => {
      const s = agent.state.current;
      return s.state === 'joining' && s.clusterId === 'lab-1111bbbb' ? s : undefined;
    });
    assert.equal(joining.clusterId, 'lab-1111bbbb');
    // `decide` says `joining` first, then writes its record.
    const file = path.join(dataDir, 'cluster.json');
    const record = await until('the new cluster record', () =>
      existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined,
    );
    assert.deepEqual(record, { version: 1, formation: 'join', clusterId: 'lab-1111bbbb', everReady: false });
    assert.deepEqual(JSON.parse(readFileSync(path.join(dataDir, 'rejoin.json'), 'utf8')), {
      version: 1,
      clusterId: 'lab-1111bbbb',
    });
    assert.equal(existsSync(path.join(dataDir, 'seed-tokens.json')), false, 'the old cluster tokens are gone');
    assert.equal(existsSync(path.join(k3sData, 'server')), false, "k3s' server state is wiped");
    assert.equal(existsSync(path.join(k3sData, 'agent/etc')), false);
    assert.equal(
      readFileSync(path.join(k3sData, 'agent/images/airgap.tar'), 'utf8'),
      'images',
      'the airgap images stay',
    );
    assert.equal(existsSync(path.join(`${configFile}.d`, '50-nucmesh.yaml')), false, 'the drop-in is gone');
    assert.ok(
      existsSync(path.join(dataDir, 'identity.json')) || existsSync(path.join(dataDir, 'progress.json')),
      'the node keeps its own state',
    );
    const after = await node();
    assert.equal(after.role, null, 'no role until the cluster gives one');
  } finally {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
