import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiUrl,
  formatBytes,
  primaryAddress,
  renderBanner,
  type BannerInfo,
} from '../../../../src/firstboot/console/banner.js';
import { parseBanners } from '../../../vm/helpers/banner-parse.js';

const info: BannerInfo = {
  version: '1.2.3',
  model: 'Intel(R) Client Systems NUC11TNHi5',
  serial: 'G6TN12345678',
  nodeId: 'abcdef0123456789abcdef0123456789 (from system-serial)',
  hostname: 'nuc-abcdef01',
  addresses: [
    { iface: 'enp2s0', address: '169.254.7.9', family: 'IPv4' },
    { iface: 'enp3s0', address: '192.168.1.20', family: 'IPv4' },
  ],
  state: 'forming',
  apiPort: 8443,
  rootFs: { size: 4 * 1024 ** 3, free: 3.5 * 1024 ** 3 },
};

describe('console banner', () => {
  it('shows the install progress as a field and the outcome in large letters under the rest', () => {
    const text = renderBanner({
      ...info,
      state: 'installing',
      progress: 'writing 42% (380 of 900 MB, 61.3 MB/s)',
      headline: { word: 'installed', sentence: 'installed: rebooting into the internal disk' },
    });
    const [b] = parseBanners(text);
    assert.equal(b?.fields['Progress'], 'writing 42% (380 of 900 MB, 61.3 MB/s)');
    assert.equal(b?.fields['Serial'], 'G6TN12345678', 'the fields read as before');
    const after = text.slice(b?.end ?? 0);
    assert.match(after, /^ {2}##### # {3}# {2}####/m, 'INSTALLED in large letters');
    assert.match(after, /installed: rebooting into the internal disk\n={72}$/);
  });

  it('shows model, serial, node ID, hostname, state, API URL, disk and every address', () => {
    const [b] = parseBanners(renderBanner(info));
    assert.ok(b);
    assert.equal(b.version, '1.2.3');
    assert.equal(b.fields['Model'], info.model);
    assert.equal(b.fields['Serial'], info.serial);
    assert.equal(b.fields['Node ID'], info.nodeId);
    assert.equal(b.fields['Hostname'], info.hostname);
    assert.equal(b.fields['State'], 'forming');
    assert.equal(b.fields['API'], 'https://192.168.1.20:8443/');
    assert.equal(b.fields['Disk'], 'root 4.0 GiB (3.5 GiB free)');
    assert.deepEqual(b.ips, ['169.254.7.9 (enp2s0)', '192.168.1.20 (enp3s0)']);
  });

  it('shows the cluster under the state once the node has one', () => {
    const [b] = parseBanners(renderBanner({ ...info, state: 'server', cluster: 'lab-3f9c0e1a' }));
    assert.equal(b?.fields['State'], 'server');
    assert.equal(b?.fields['Cluster'], 'lab-3f9c0e1a');
    assert.equal(parseBanners(renderBanner(info))[0]?.fields['Cluster'], undefined, 'no cluster line before');
  });

  it('says unknown and no address rather than printing null', () => {
    const text = renderBanner({ ...info, model: null, serial: '  ', nodeId: null, addresses: [] });
    const [b] = parseBanners(text);
    assert.equal(b?.fields['Model'], 'unknown');
    assert.equal(b?.fields['Serial'], 'unknown');
    assert.equal(b?.fields['Node ID'], 'unknown');
    assert.equal(b?.fields['API'], '(no address yet)');
    assert.match(b?.ips[0] ?? '', /none yet/);
    assert.doesNotMatch(text, /null|undefined/);
  });

  it('prefers a routable IPv4 for the API URL, falls back to link-local, brackets IPv6', () => {
    assert.equal(primaryAddress(info.addresses)?.address, '192.168.1.20');
    assert.equal(apiUrl([{ iface: 'en0', address: '169.254.1.2', family: 'IPv4' }], 9000), 'https://169.254.1.2:9000/');
    assert.equal(apiUrl([{ iface: 'en0', address: 'fe80::1', family: 'IPv6' }], 8443), 'https://[fe80::1%en0]:8443/');
  });

  it('formats sizes in binary units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
  });
});
