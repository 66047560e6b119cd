import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/**
 * Dependencies point one way: cli → agent → {firstboot, discovery, api, cluster, installer} → {node, config}
 * → {errors, log, version}. A module imports from its own part or from a lower layer, never from
 * a part beside it (discovery neither from api nor from firstboot, api not from discovery).
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'log', 'version'],
  ['node', 'config'],
  ['firstboot', 'discovery', 'api', 'cluster', 'installer'],
  ['agent'],
  ['cli'],
];

const src = path.join(repoRoot, 'src');

/** `discovery` for src/discovery/x.ts, `log` for src/log.ts. */
function partOf(file: string): string {
  return path.relative(src, file).split(path.sep)[0]?.replace(/\.ts$/, '') ?? '';
}

function layerOf(part: string): number {
  const i = LAYERS.findIndex((l) => l.includes(part));
  assert.ok(i >= 0, `src/${part} is in no layer: add it to LAYERS`);
  return i;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The relative imports of a file (import, import type, export … from), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
  return specs.map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Imports that break the rule, as `from → to` lines. */
function violations(): string[] {
  const out: string[] = [];
  for (const file of files(src)) {
    const from = partOf(file);
    for (const target of importsOf(file)) {
      const to = partOf(target);
      if (to !== from && layerOf(to) >= layerOf(from)) out.push(`${path.relative(repoRoot, file)} → src/${to}`);
    }
  }
  return out;
}

test('every module imports only from its own part of src/ or from a lower layer', () => {
  assert.deepEqual(violations(), []);
});

test('the check sees every kind of relative import', () => {
  const probe = path.join(src, 'discovery', 'service.ts');
  const seen = importsOf(probe).map((t) => partOf(t));
  for (const part of ['log', 'errors', 'node', 'discovery'])
    assert.ok(seen.includes(part), `${part} in ${seen.join(', ')}`);
  assert.ok(layerOf('api') === layerOf('discovery') && layerOf('node') < layerOf('api'));
});
