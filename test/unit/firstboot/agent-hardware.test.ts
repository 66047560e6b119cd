/**
 * `nucmesh agent --hardware-from DIR`: starts, logs the one-line node summary, persists the
 * identity; a second start keeps the node ID and skips the `identity` step. The child is
 * stopped with SIGTERM by its PID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliPath, ownFixturesDir } from '../../helpers/paths.js';
import { runCli } from '../../helpers/cli.js';
import { deriveIdentity } from '../../../src/firstboot/identity.js';
import { detectInventory } from '../../../src/firstboot/hardware/index.js';

const capture = path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7');

interface LogLine {
  msg: string;
  [k: string]: unknown;
}

/** Start an agent, wait for the "agent running" line, stop it with SIGTERM; returns its log lines. */
async function runAgentOnce(args: string[]): Promise<{ lines: LogLine[]; code: number | null }> {
  const child = spawn(process.execPath, [cliPath, 'agent', ...args], {
    env: { ...process.env, NUCMESH_LOG_FORMAT: 'json', NUCMESH_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  let buf = '';
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const parsed = JSON.parse(line) as LogLine;
          lines.push(parsed);
          if (/agent running/.test(parsed.msg) && child.pid !== undefined) {
            process.kill(child.pid, 'SIGTERM');
            resolve();
          }
        } catch {
          // not a JSON line
        }
      }
    });
    void exited.then((code) => reject(new Error(`agent exited (${code}) before running: ${stderr}${buf}`)));
  }).catch((e: unknown) => {
    clearTimeout(killer);
    throw e;
  });
  const code = await exited;
  clearTimeout(killer);
  return { lines, code };
}

test('agent: logs the node summary, persists the identity, and a second start keeps the node ID and skips the identity step', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-agent-hw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fleet = path.join(dir, 'fleet.yaml');
  assert.equal((await runCli(['fleet', 'init', fleet])).code, 0);
  const dataDir = path.join(dir, 'data');
  // An interface that does not exist: discovery sends nothing on this machine's real LAN.
  const args = [
    '--fleet',
    fleet,
    '--data-dir',
    dataDir,
    '--hardware-from',
    capture,
    '--interface',
    'nm-none0',
    '--api-port',
    '18441',
  ];
  const expected = deriveIdentity(await detectInventory({ from: capture }));
  assert.ok(expected);

  const first = await runAgentOnce(args);
  assert.equal(first.code, 0);
  const summary = first.lines.find((l) => /^node nuc-/.test(l.msg));
  assert.ok(summary, 'the summary line is logged');
  assert.equal(summary['model'], 'NUC11TNBv7');
  assert.equal(summary['serial'], 'BTTN12345678');
  assert.equal(summary['nodeId'], expected.nodeId);
  assert.equal(summary['hostname'], expected.hostname);
  assert.ok(first.lines.some((l) => l['step'] === 'identity' && /: done$/.test(l.msg)));
  const persisted = JSON.parse(await readFile(path.join(dataDir, 'identity.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(persisted['nodeId'], expected.nodeId);

  const second = await runAgentOnce(args);
  assert.equal(second.code, 0);
  assert.ok(
    second.lines.some((l) => l['step'] === 'identity' && /already done/.test(l.msg)),
    'identity step skipped',
  );
  assert.ok(!second.lines.some((l) => l['step'] === 'identity' && /: start$/.test(l.msg)));
  assert.ok(
    second.lines.some((l) => l['step'] === 'inventory' && /: done$/.test(l.msg)),
    'inventory runs at every start',
  );
  assert.equal(second.lines.find((l) => /^node nuc-/.test(l.msg))?.['nodeId'], expected.nodeId);
});
