import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { collectBannerInfo, modelText } from '../../../../src/firstboot/console/banner-info.js';
import { detectInventory } from '../../../../src/firstboot/hardware/index.js';
import { deriveIdentity, randomIdentity } from '../../../../src/firstboot/identity.js';
import { newFleetConfig } from '../../../../src/config/fleet.js';
import { agentOptionsFrom } from '../../../../src/cli/commands/agent.js';
import { hardwareFixturesDir, sharedFixturesMissing } from '../../../helpers/paths.js';

describe('banner data from a real NUC capture', { skip: sharedFixturesMissing() }, () => {
  it('shows the SMBIOS vendor/product, the serial, the node ID with its source, the API port', async () => {
    const inventory = await detectInventory({ from: path.join(hardwareFixturesDir, 'intel-nuc11pahi5') });
    // The shared captures have their serials redacted: a random identity stands in.
    const identity = deriveIdentity(inventory) ?? randomIdentity();
    const config = newFleetConfig('banner-test');
    const info = await collectBannerInfo(
      { inventory, identity, apiPort: config.api.port },
      {
        version: '9.9.9',
        hostname: () => 'nuc-test',
        networkInterfaces: () => ({
          enp86s0: [
            {
              address: '10.1.2.3',
              family: 'IPv4',
              internal: false,
              netmask: '255.255.255.0',
              mac: '1c:69:7a:00:00:01',
              cidr: '10.1.2.3/24',
            },
          ],
        }),
        rootFs: async () => ({ size: 100, free: 50 }),
      },
    );
    assert.ok(info.model?.includes(inventory.system.product ?? '\0'), `model '${info.model}' lacks the SMBIOS product`);
    assert.equal(info.serial, inventory.system.serial ?? inventory.board.serial);
    assert.equal(info.nodeId, `${identity.nodeId} (from ${identity.source})`);
    assert.equal(info.apiPort, config.api.port);
    assert.deepEqual(info.addresses, [{ iface: 'enp86s0', address: '10.1.2.3', family: 'IPv4' }]);
    assert.deepEqual(info.rootFs, { size: 100, free: 50 });
  });
});

describe('banner model text', () => {
  it('is unknown without an inventory, and adds the platform model only when it says more', () => {
    assert.equal(modelText({}), null);
    const inv = (vendor: string | null, product: string | null, platform: string | null) =>
      ({ system: { vendor, product }, platform: { model: platform } }) as unknown as NonNullable<
        Parameters<typeof modelText>[0]['inventory']
      >;
    assert.equal(
      modelText({ inventory: inv('Intel(R) Client Systems', 'NUC11TNHi5', 'NUC11TNHi5') }),
      'Intel(R) Client Systems NUC11TNHi5',
    );
    assert.equal(
      modelText({ inventory: inv('Intel Corporation', 'NUC8BEB', 'NUC 8 Pro') }),
      'Intel Corporation NUC8BEB (NUC 8 Pro)',
    );
    assert.equal(modelText({ inventory: inv(null, null, 'NUC 8 Pro') }), 'NUC 8 Pro');
  });
});

describe('nucmesh agent --apply-host', () => {
  it('is off unless asked for; when on, the banner consoles come from NUCMESH_BANNER_TTYS', () => {
    const plain = agentOptionsFrom(['--fleet', 'f.yaml']);
    assert.ok(plain !== 'help');
    assert.equal(plain.applyHost, undefined);
    const saved = process.env['NUCMESH_BANNER_TTYS'];
    process.env['NUCMESH_BANNER_TTYS'] = '/dev/tty2, /dev/ttyS1';
    try {
      const host = agentOptionsFrom(['--fleet', 'f.yaml', '--apply-host']);
      assert.ok(host !== 'help');
      assert.equal(host.applyHost, true);
      assert.deepEqual(host.bannerTtys, ['/dev/tty2', '/dev/ttyS1']);
    } finally {
      if (saved === undefined) delete process.env['NUCMESH_BANNER_TTYS'];
      else process.env['NUCMESH_BANNER_TTYS'] = saved;
    }
  });
});
