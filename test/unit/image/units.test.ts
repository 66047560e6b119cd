/**
 * The image's systemd units agree with each other: nucmesh.service is Type=notify and READY only
 * once k3s is (it starts k3s itself), so no k3s unit may be ordered after it (each would wait for
 * the other), and its start has no time limit (it may wait for a fleet config or peers for long).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../helpers/paths.js';

const unit = (rel: string): string => readFileSync(path.join(repoRoot, 'image', rel), 'utf8');
const directives = (text: string, key: string): string[] =>
  [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => (m[1] ?? '').trim());

test('nucmesh.service is Type=notify without a start time limit, and k3s units are not ordered after it', () => {
  const nucmesh = unit('overlay/etc/systemd/system/nucmesh.service');
  assert.deepEqual(directives(nucmesh, 'Type'), ['notify']);
  assert.deepEqual(directives(nucmesh, 'NotifyAccess'), ['all'], 'systemd-notify is a child of the agent');
  assert.deepEqual(directives(nucmesh, 'TimeoutStartSec'), ['infinity']);
  for (const k3s of ['k3s/etc/systemd/system/k3s.service', 'k3s/etc/systemd/system/k3s-agent.service']) {
    const text = unit(k3s);
    assert.deepEqual(directives(text, 'Type'), ['notify'], k3s);
    for (const key of ['After', 'Requires', 'BindsTo'])
      for (const v of directives(text, key)) assert.doesNotMatch(v, /nucmesh\.service/, `${k3s} ${key}=${v}`);
  }
});
