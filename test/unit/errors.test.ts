import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CATALOGUE, ERROR_CODES, NucmeshError, UsageError, ValidationError } from '../../src/errors.js';
import { repoRoot } from '../helpers/paths.js';

/** Every .ts file below src/, with its text. */
function sources(dir = path.join(repoRoot, 'src')): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [{ file: path.relative(repoRoot, p), text: readFileSync(p, 'utf8') }] : [];
  });
}

test('each catalogue code says in one sentence what it means', () => {
  for (const [code, sentence] of Object.entries(ERROR_CATALOGUE)) {
    assert.match(code, /^E_[A-Z0-9]+(_[A-Z0-9]+)*$/);
    assert.match(sentence, /^[A-Z].{10,}\.$/, code);
  }
  assert.deepEqual(ERROR_CODES, Object.keys(ERROR_CATALOGUE));
});

test('every error code in src/ is in the catalogue, and every catalogue code is in use', () => {
  const used = new Map<string, string>();
  for (const { file, text } of sources()) {
    // errors.ts: its classes, not the catalogue itself.
    const code = file === path.join('src', 'errors.ts') ? text.slice(text.indexOf('export const ERROR_CODES')) : text;
    for (const m of code.matchAll(/'(E_[A-Z0-9_]+)'/g)) used.set(m[1] as string, file);
  }
  const listed = new Set<string>(ERROR_CODES);
  for (const [code, file] of used) assert.ok(listed.has(code), `${code} (${file}) is not in ERROR_CATALOGUE`);
  for (const code of ERROR_CODES) assert.ok(used.has(code), `${code} is in the catalogue but not used in src/`);
});

test('the error classes carry their catalogue codes', () => {
  assert.equal(new UsageError('x').code, 'E_USAGE');
  assert.equal(new UsageError('x').exitCode, 2);
  assert.equal(new ValidationError('doc', [{ path: '/a', message: 'bad' }]).code, 'E_INVALID');
  const e = new NucmeshError('E_STATE_READ', 'cannot read', { data: { file: 'f' } });
  assert.deepEqual(e.toJSON(), { code: 'E_STATE_READ', message: 'cannot read', data: { file: 'f' } });
});
