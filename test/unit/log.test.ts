import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chooseFormat, componentLogger, createLogger } from '../../src/log.js';
import { repoRoot } from '../helpers/paths.js';

function capture(): { stream: PassThrough; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return {
    stream,
    lines: () =>
      text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('log lines are JSON with level, message and fields', () => {
  const { stream, lines } = capture();
  const log = createLogger({ format: 'json', destination: stream });
  log.info({ step: 'identity' }, 'boot step identity: done');
  const [line] = lines();
  assert.equal(line?.['msg'], 'boot step identity: done');
  assert.equal(line?.['step'], 'identity');
  assert.equal(line?.['level'], 30);
});

test('secrets in log fields are redacted', () => {
  const { stream, lines } = capture();
  const log = createLogger({ format: 'json', destination: stream });
  const secret = 'S3CRET-value-that-must-not-appear';
  log.info(
    {
      key: secret,
      token: secret,
      config: { key: secret, api: { tokens: { admin: secret } } },
      peer: { token: secret },
    },
    'with secrets',
  );
  const text = JSON.stringify(lines());
  assert.ok(!text.includes(secret), text);
  assert.match(text, /\[redacted\]/);
});

test('format: json off a TTY, pretty on one, env overrides', () => {
  assert.equal(chooseFormat({}, false), 'json');
  assert.equal(chooseFormat({}, true), 'pretty');
  assert.equal(chooseFormat({ NUCMESH_LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(chooseFormat({ NUCMESH_LOG_FORMAT: 'pretty' }, false), 'pretty');
});

/** The top-level keys of one JSON object line, in order, duplicates kept (JSON.parse would hide them). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line[j + 1] === ':') keys.push(JSON.parse(line.slice(i, j + 1)) as string);
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

function rawLines(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, lines: () => text.trim().split('\n').filter(Boolean) };
}

const duplicates = (keys: string[]): string[] => keys.filter((k, i) => keys.indexOf(k) !== i);

test("a component logger's JSON line has each key once: svc, then one component", () => {
  const { stream, lines } = rawLines();
  const log = createLogger({ format: 'json', destination: stream });
  const discovery = componentLogger(log, 'discovery');
  discovery.info({ peer: 'n1', nested: { component: 'not top level', svc: 'x' } }, 'peer up');
  componentLogger(discovery, 'advertiser').warn({ iface: 'eth0' }, 'renamed');
  const [first, second] = lines();
  for (const line of [first, second]) {
    const keys = topLevelKeys(line ?? '');
    assert.deepEqual(duplicates(keys), [], line);
    for (const k of ['level', 'time', 'svc', 'component', 'msg']) assert.ok(keys.includes(k), `${k} in ${line}`);
  }
  assert.equal(JSON.parse(first ?? '')['component'], 'discovery');
  assert.equal(JSON.parse(first ?? '')['svc'], 'nucmesh');
  assert.equal(JSON.parse(second ?? '')['component'], 'discovery.advertiser');
});

test('the key check itself finds a key bound twice (what a plain child binding svc again wrote)', () => {
  const { stream, lines } = rawLines();
  createLogger({ format: 'json', destination: stream }).child({ svc: 'discovery' }).info('x');
  assert.deepEqual(duplicates(topLevelKeys(lines()[0] ?? '')), ['svc']);
});

test('src/ makes child loggers only through componentLogger', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith('.ts') || p === path.join(repoRoot, 'src', 'log.ts')) continue;
      else if (/\.child\(/.test(readFileSync(p, 'utf8'))) offenders.push(path.relative(repoRoot, p));
    }
  };
  walk(path.join(repoRoot, 'src'));
  assert.deepEqual(offenders, []);
});
