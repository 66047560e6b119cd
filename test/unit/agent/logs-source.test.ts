import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, LogRing } from '../../../src/log.js';
import { journalArgs, journalLine, journalSince, memoryLogs } from '../../../src/agent/logs-source.js';

test('journalctl is asked with fixed unit selections, a bounded count and a checked time', () => {
  assert.deepEqual(journalArgs({ unit: 'k3s', lines: 50, follow: false }), [
    '-o',
    'json',
    '--no-pager',
    '-n',
    '50',
    '-u',
    'k3s.service',
  ]);
  assert.deepEqual(journalArgs({ unit: 'kernel', lines: 5, follow: true, since: '15m' }), [
    '-o',
    'json',
    '--no-pager',
    '-n',
    '5',
    '-k',
    '--since=-15min',
    '-f',
  ]);
  assert.equal(journalSince('2026-12-01T10:00:00.123Z'), '2026-12-01 10:00:00 UTC');
  assert.equal(journalSince('2d'), '-2d');
});

test('a journal JSON entry becomes a log line; byte-array messages are decoded; junk is skipped', () => {
  const line = journalLine(
    JSON.stringify({ __REALTIME_TIMESTAMP: '1764583200000000', PRIORITY: '4', MESSAGE: 'hello' }),
    'nucmesh',
  );
  assert.deepEqual(line, { time: '2025-12-01T10:00:00.000Z', unit: 'nucmesh', priority: 4, message: 'hello' });
  const bytes = journalLine(JSON.stringify({ __REALTIME_TIMESTAMP: '0', MESSAGE: [104, 105] }), 'k3s');
  assert.equal(bytes?.message, 'hi');
  assert.equal(journalLine('not json', 'k3s'), undefined);
  assert.equal(journalLine('{"MESSAGE":null}', 'k3s'), undefined);
});

test("without a journal: the agent's own recent lines, redacted as logged, and followed", async () => {
  const ring = new LogRing(3);
  const log = createLogger({
    format: 'json',
    ring,
    destination: { write: () => true } as unknown as NodeJS.WritableStream,
  });
  log.info({ token: 'super-secret-token-value-123' }, 'one');
  log.warn('two');
  log.info('three');
  log.info('four');
  await new Promise((r) => setTimeout(r, 10));
  const past = memoryLogs(ring, { unit: 'nucmesh', lines: 10, follow: false });
  const got: string[] = [];
  for await (const l of past.lines) got.push(l.message);
  assert.deepEqual(got, ['two', 'three', 'four'], 'at most the capacity, newest last');
  assert.doesNotMatch(JSON.stringify(ring.lines()), /super-secret/);
  const followed = memoryLogs(ring, { unit: 'nucmesh', lines: 1, follow: true });
  const it = followed.lines[Symbol.asyncIterator]();
  assert.equal((await it.next()).value?.message, 'four');
  log.error('five');
  const next = await it.next();
  assert.equal(next.value?.message, 'five');
  assert.equal(next.value?.priority, 3);
  followed.close();
  const k3s = memoryLogs(ring, { unit: 'k3s', lines: 10, follow: false });
  for await (const l of k3s.lines) assert.fail(`no k3s lines in memory: ${l.message}`);
});
