import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyHostname, checkHostname, hostsWithHostname } from '../../../src/firstboot/hostname.js';
import { ValidationError } from '../../../src/errors.js';

describe('hostname', () => {
  it('replaces the 127.0.1.1 line of /etc/hosts, or adds one after localhost', () => {
    assert.equal(
      hostsWithHostname('127.0.0.1\tlocalhost\n127.0.1.1\tnucmesh\n::1\tlocalhost\n', 'nuc-1a2b3c4d'),
      '127.0.0.1\tlocalhost\n127.0.1.1\tnuc-1a2b3c4d\n::1\tlocalhost\n',
    );
    assert.equal(
      hostsWithHostname('127.0.0.1\tlocalhost\n::1\tlocalhost\n', 'nuc-1'),
      '127.0.0.1\tlocalhost\n127.0.1.1\tnuc-1\n::1\tlocalhost\n',
    );
  });

  it('refuses a name that is not a host label, naming the field', () => {
    assert.equal(checkHostname('nuc-1a2b3c4d'), 'nuc-1a2b3c4d');
    for (const bad of ['', 'Nuc', 'a_b', '-x', 'x-', 'a'.repeat(64), 'a.b']) {
      assert.throws(
        () => checkHostname(bad),
        (e: unknown) => e instanceof ValidationError && e.issues[0]?.path === '/hostname',
        bad,
      );
    }
  });

  it('writes /etc/hostname, /etc/hosts and the kernel hostname file under the given root', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-hostname-'));
    try {
      mkdirSync(path.join(root, 'etc'));
      writeFileSync(path.join(root, 'etc/hosts'), '127.0.0.1\tlocalhost\n127.0.1.1\tnucmesh\n');
      const kernel = path.join(root, 'kernel-hostname');
      await applyHostname('nuc-0badcafe', { root, kernelHostnameFile: kernel });
      assert.equal(readFileSync(path.join(root, 'etc/hostname'), 'utf8'), 'nuc-0badcafe\n');
      assert.match(readFileSync(path.join(root, 'etc/hosts'), 'utf8'), /^127\.0\.1\.1\tnuc-0badcafe$/m);
      assert.equal(readFileSync(kernel, 'utf8'), 'nuc-0badcafe');
      await assert.rejects(applyHostname('BAD NAME', { root, kernelHostnameFile: kernel }), ValidationError);
      assert.equal(readFileSync(kernel, 'utf8'), 'nuc-0badcafe', 'a refused name changes nothing');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
