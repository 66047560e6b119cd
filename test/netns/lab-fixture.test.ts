/**
 * The lab fixture cleans up what it made, and only that: the processes it started (by PID),
 * its namespaces and its fleet directory, while a namespace of the same prefix that it did not
 * create is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { netnsAvailable } from './harness.js';
import { LabFixture } from './lab-fixture.js';

const namespaces = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const skip = netnsAvailable();

test('cleanup kills its processes, deletes its namespaces and fleet dir, nothing else', { skip }, async () => {
  const fx = new LabFixture({ subnet: '10.69.0' });
  const decoy = `${fx.lab.prefix}decoy`;
  execFileSync('ip', ['netns', 'add', decoy]);
  try {
    const hosts = fx.addHosts(['h1', 'h2']);
    assert.deepEqual(
      hosts.map((h) => h.addresses['eth0']),
      ['10.69.0.1', '10.69.0.2'],
    );
    const sleeper = fx.lab.spawn('h1', 'sleep', ['600']);
    const pid = sleeper.child.pid as number;
    const dir = fx.fleet.dir;
    const ours = namespaces().filter((n) => n.startsWith(fx.lab.prefix) && n !== decoy);
    assert.equal(ours.length, 3, `one LAN and two hosts: ${ours.join(' ')}`);
    assert.ok(alive(pid) && existsSync(dir));
    await fx.cleanup();
    assert.equal(alive(pid), false, 'the process it started is gone');
    assert.deepEqual(
      namespaces().filter((n) => ours.includes(n)),
      [],
      'its namespaces are gone',
    );
    assert.equal(existsSync(dir), false, 'its fleet dir is gone');
    assert.ok(namespaces().includes(decoy), 'a namespace it did not create is left alone');
  } finally {
    execFileSync('ip', ['netns', 'del', decoy]);
  }
});
