import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { bannerAddresses } from '../../../../src/firstboot/console/addresses.js';

function addr(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  return family === 'IPv4'
    ? { address, family, internal, netmask: '255.255.255.0', mac: '52:54:00:00:00:01', cidr: null }
    : { address, family, internal, netmask: 'ffff:ffff:ffff:ffff::', mac: '52:54:00:00:00:01', cidr: null, scopeid: 2 };
}

describe('banner addresses', () => {
  it('lists IPv4 first, skips loopback and the interfaces k3s creates, hides IPv6 link-local when there is more', () => {
    const got = bannerAddresses({
      lo: [addr('127.0.0.1', 'IPv4', true)],
      enp3s0: [addr('fe80::5054:ff:fe00:1', 'IPv6'), addr('2001:db8::5', 'IPv6'), addr('192.168.1.20', 'IPv4')],
      cni0: [addr('10.42.0.1', 'IPv4')],
      'flannel.1': [addr('10.42.0.0', 'IPv4')],
    });
    assert.deepEqual(got, [
      { iface: 'enp3s0', address: '192.168.1.20', family: 'IPv4' },
      { iface: 'enp3s0', address: '2001:db8::5', family: 'IPv6' },
    ]);
  });

  it('shows IPv6 link-local when it is all there is (a cable, no DHCP)', () => {
    const got = bannerAddresses({ enp3s0: [addr('fe80::5054:ff:fe00:1', 'IPv6')] });
    assert.deepEqual(got, [{ iface: 'enp3s0', address: 'fe80::5054:ff:fe00:1', family: 'IPv6' }]);
  });
});
