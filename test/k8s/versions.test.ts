/**
 * One set of pins: the k3s release the image ships and the upstream Kubernetes the real parts
 * are built at agree, and scripts/build-image.sh takes its default from the same file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from '../helpers/paths.js';
import { parseVersionsEnv, readK8sVersions, versionsFile } from '../k8s-parts/bins.js';

describe('scripts/k8s-versions.env', () => {
  it('pins a k3s release whose Kubernetes version is the one the parts are built at', () => {
    const v = readK8sVersions();
    const k3s = /^(v\d+\.\d+\.\d+)\+k3s\d+$/.exec(v.k3s);
    assert.ok(k3s, `k3s version ${v.k3s} is vX.Y.Z+k3sN`);
    assert.equal(k3s[1], v.kubernetes);
    assert.match(v.etcd, /^v3\.\d+\.\d+$/);
  });

  it('is where scripts/build-image.sh and scripts/k8s-test-bins.sh read their pins', () => {
    for (const script of ['build-image.sh', 'k8s-test-bins.sh']) {
      const text = readFileSync(path.join(repoRoot, 'scripts', script), 'utf8');
      assert.match(text, /source "\$repo\/scripts\/k8s-versions\.env"/, script);
      assert.doesNotMatch(text, /v1\.\d+\.\d+\+k3s\d/, `${script} repeats no k3s version`);
    }
  });

  it('parses KEY=value lines, skipping comments', () => {
    assert.deepEqual(parseVersionsEnv('# c\nA=1\n\n B_2=v1.2.3 \nnot a line\n'), { A: '1', B_2: 'v1.2.3' });
    assert.ok(readFileSync(versionsFile, 'utf8').length > 0);
  });
});
