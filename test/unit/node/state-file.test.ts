import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readJsonFile, writeJsonFile, writeSecretFile } from '../../../src/node/state-file.js';

test('writeJsonFile replaces atomically, leaves no temp file and applies the mode', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-state-'));
  const file = path.join(dir, 'sub', 'a.json');
  await writeJsonFile(file, { n: 1 });
  await writeJsonFile(file, { n: 2 });
  assert.deepEqual(await readJsonFile(file), { n: 2 });
  assert.deepEqual(await readdir(path.dirname(file)), ['a.json']);
  assert.equal(await readJsonFile(path.join(dir, 'missing.json')), undefined);
  assert.match(await readFile(file, 'utf8'), /\n$/);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test('readJsonFile: a file that is not JSON is E_STATE_CORRUPT naming the file, never a SyntaxError', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-state-'));
  const file = path.join(dir, 'broken.json');
  await writeFile(file, '{"version": 1,');
  await assert.rejects(readJsonFile(file), (e: unknown) => {
    return (e as { code?: string }).code === 'E_STATE_CORRUPT' && (e as Error).message.includes(file);
  });
});

test('readJsonFile: a path that cannot be read (a directory) is E_STATE_READ', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-state-'));
  await assert.rejects(readJsonFile(dir), (e: unknown) => (e as { code?: string }).code === 'E_STATE_READ');
});

test('writeSecretFile: mode 0600 even over a world-readable file, atomically, no temp file left', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-state-'));
  const file = path.join(dir, 'secret', 'token');
  await writeSecretFile(file, 'first');
  await writeFile(file, 'loose', { mode: 0o644 });
  await writeSecretFile(file, 'K10abc::server:pw');
  assert.equal(await readFile(file, 'utf8'), 'K10abc::server:pw');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o700);
  assert.deepEqual(await readdir(path.dirname(file)), ['token']);
});
