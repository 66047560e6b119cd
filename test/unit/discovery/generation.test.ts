import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GenerationCounter, generationFile } from '../../../src/discovery/generation.js';

test('the generation only increases, across restarts, and concurrent bumps never repeat', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gen-'));
  const a = await GenerationCounter.open(dir);
  assert.equal(a.current, 0);
  assert.equal(await a.next(), 1);
  const many = await Promise.all([a.next(), a.next(), a.next()]);
  assert.deepEqual(many, [2, 3, 4]);
  const b = await GenerationCounter.open(dir);
  assert.equal(b.current, 4);
  assert.equal(await b.next(), 5);
});

test('a corrupt generation file is an error naming the field, not a silent reset', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gen-'));
  await writeFile(generationFile(dir), JSON.stringify({ version: 1, generation: -3 }));
  await assert.rejects(GenerationCounter.open(dir), /\/generation/);
});
