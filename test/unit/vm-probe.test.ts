// The guest probe is JavaScript inside a template string: a quoting slip only shows after a
// three-minute VM boot, so check here that it parses and that its output is read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { probeFiles, probeStatuses } from '../vm/helpers/probe.js';

test('the guest probe script is valid JavaScript', () => {
  const { fwCfg } = probeFiles(mkdtempSync(path.join(tmpdir(), 'nucmesh-probe-')));
  const source = readFileSync(fwCfg[0]!.file, 'utf8');
  assert.doesNotThrow(() => new vm.Script(source, { filename: 'probe.js' }));
});

test('probe status lines are read back from the console', () => {
  const consoleText = [
    'probe: status 0 active=activating restarts=0 rss_kb=0',
    'probe: status 1 active=active restarts=0 rss_kb=66000',
    '',
  ].join('\r\n');
  assert.deepEqual(
    probeStatuses(consoleText).map((s) => [s.seq, s.active, s.rssKb]),
    [
      [0, 'activating', 0],
      [1, 'active', 66000],
    ],
  );
});
