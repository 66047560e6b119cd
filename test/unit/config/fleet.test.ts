import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  loadFleetConfig,
  newFleetConfig,
  parseFleetConfig,
  renderFleetConfig,
  replaceAfterSeconds,
  serverCount,
  writeNewFleetConfig,
} from '../../../src/config/fleet.js';
import { ValidationError } from '../../../src/errors.js';

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, `expected ValidationError, got ${String(e)}`);
    return e.issues;
  }
  assert.fail('expected a ValidationError');
}

function withChange(change: (doc: Record<string, unknown>) => void): string {
  const doc = structuredClone(newFleetConfig('warehouse-a')) as unknown as Record<string, unknown>;
  change(doc);
  return stringify(doc);
}

test('a new fleet config round-trips through render and parse with every default filled', () => {
  const cfg = newFleetConfig('warehouse-a');
  const again = parseFleetConfig(renderFleetConfig(cfg));
  assert.deepEqual(again, cfg);
  assert.equal(cfg.servers, 3);
  assert.equal(cfg.api.port, 8443);
  assert.equal(Buffer.from(cfg.key, 'base64').length, 32);
  assert.notEqual(cfg.api.tokens.reader, cfg.api.tokens.admin);
});

test('two new fleet configs have different secrets', () => {
  const a = newFleetConfig('a');
  const b = newFleetConfig('a');
  assert.notEqual(a.key, b.key);
  assert.notEqual(a.api.tokens.admin, b.api.tokens.admin);
});

test('a minimal config gets defaults and is frozen', () => {
  const base = newFleetConfig('x');
  const cfg = parseFleetConfig(stringify({ version: 1, name: 'x', key: base.key, api: { tokens: base.api.tokens } }));
  assert.equal(cfg.discovery.peerTimeoutSeconds, 10);
  assert.deepEqual(cfg.k3s.serverArgs, []);
  assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.api) && Object.isFrozen(cfg.api.tokens));
  assert.throws(() => {
    (cfg as { servers: number }).servers = 5;
  }, TypeError);
});

test('servers: a count, or {count, replaceAfterSeconds} with defaults; an even or unknown one names /servers', () => {
  const plain = parseFleetConfig(withChange((d) => (d['servers'] = 5)));
  assert.deepEqual([serverCount(plain), replaceAfterSeconds(plain)], [5, 300]);
  const object = parseFleetConfig(withChange((d) => (d['servers'] = { count: 3, replaceAfterSeconds: 45 })));
  assert.deepEqual([serverCount(object), replaceAfterSeconds(object)], [3, 45]);
  const partial = parseFleetConfig(withChange((d) => (d['servers'] = { count: 1 })));
  assert.deepEqual([serverCount(partial), replaceAfterSeconds(partial)], [1, 300]);
  for (const bad of [{ count: 4 }, { cnt: 3 }, { count: 3, replaceAfterSeconds: 1 }, 'three'])
    assert.deepEqual(
      issuesOf(() => parseFleetConfig(withChange((d) => (d['servers'] = bad)))).map((i) => i.path),
      ['/servers'],
      JSON.stringify(bad),
    );
});

test('every error names the path of the bad field', () => {
  const cases: [string, (d: Record<string, unknown>) => void, string, RegExp][] = [
    ['unknown top-level key', (d) => (d['colour'] = 'blue'), '/colour', /unknown key/],
    ['unknown nested key', (d) => ((d['api'] as Record<string, unknown>)['prot'] = 1), '/api/prot', /unknown key/],
    ['port out of range', (d) => ((d['api'] as Record<string, unknown>)['port'] = 70000), '/api/port', /65535/],
    ['bad name', (d) => (d['name'] = 'Warehouse A'), '/name', /DNS label/],
    ['short key', (d) => (d['key'] = 'abc'), '/key', /32 random bytes/],
    [
      'missing admin token',
      (d) =>
        delete ((d['api'] as Record<string, Record<string, unknown>>)['tokens'] as Record<string, unknown>)['admin'],
      '/api/tokens/admin',
      /required/,
    ],
    ['even servers', (d) => (d['servers'] = 4), '/servers', /odd/],
    ['wrong version', (d) => (d['version'] = 2), '/version', /schema version/],
    [
      'interfaces not a list',
      (d) => ((d['discovery'] as Record<string, unknown>)['interfaces'] = 'eth0'),
      '/discovery/interfaces',
      /array/i,
    ],
  ];
  for (const [what, change, wantPath, wantMessage] of cases) {
    const issues = issuesOf(() => parseFleetConfig(withChange(change)));
    const hit = issues.find((i) => i.path === wantPath);
    assert.ok(hit, `${what}: expected an issue at ${wantPath}, got ${JSON.stringify(issues)}`);
    assert.match(hit.message, wantMessage, what);
  }
});

test('broken YAML and non-mappings are clear errors, not crashes', () => {
  for (const text of ['a: [\n', '- 1\n- 2\n', '', '42', 'a: 1\na: 2\n']) {
    const issues = issuesOf(() => parseFleetConfig(text));
    assert.ok(issues.length > 0 && issues[0]!.path === '/', JSON.stringify(issues));
  }
});

test('writeNewFleetConfig writes mode 0600, refuses to overwrite, and loads back', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-fleet-'));
  const file = path.join(dir, 'fleet.yaml');
  const cfg = await writeNewFleetConfig(file, 'site-1');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  await assert.rejects(writeNewFleetConfig(file, 'site-1'), { code: 'E_FLEET_WRITE' });
  const loaded = await loadFleetConfig(file);
  assert.deepEqual(loaded.config, cfg);
  assert.equal(loaded.tooOpen, false);
  await chmod(file, 0o644);
  assert.equal((await loadFleetConfig(file)).tooOpen, true);
  assert.match(await readFile(file, 'utf8'), /keep it secret/);
  await writeFile(path.join(dir, 'bad.yaml'), 'version: 1\n');
  await assert.rejects(
    loadFleetConfig(path.join(dir, 'bad.yaml')),
    (e: unknown) => e instanceof ValidationError && /bad\.yaml/.test(e.message),
  );
  await assert.rejects(loadFleetConfig(path.join(dir, 'nope.yaml')), { code: 'E_FLEET_READ' });
});

test('install: mode auto and wipe blank-only by default; a by-id target; unknown keys and values are errors', () => {
  const plain = parseFleetConfig(withChange(() => {}));
  assert.deepEqual(plain.install, { mode: 'auto', wipe: 'blank-only' });
  const pinned = parseFleetConfig(
    withChange(
      (d) => (d['install'] = { mode: 'never', target: '/dev/disk/by-id/nvme-Samsung_980_S64D', wipe: 'always' }),
    ),
  );
  assert.deepEqual(pinned.install, { mode: 'never', target: '/dev/disk/by-id/nvme-Samsung_980_S64D', wipe: 'always' });
  const paths = (install: unknown) =>
    issuesOf(() => parseFleetConfig(withChange((d) => (d['install'] = install)))).map((i) => i.path);
  assert.ok(paths({ wipe: 'sometimes' }).includes('/install/wipe'));
  assert.ok(paths({ mode: 'manual' }).includes('/install/mode'));
  assert.ok(paths({ target: '/dev/sda; rm -rf /' }).includes('/install/target'));
  assert.ok(paths({ disk: '/dev/sda' }).some((p) => p.startsWith('/install')));
});
