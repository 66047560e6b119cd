/** NUC SMBIOS values the VM tests give their guests, and the checks on what the banner shows. */
import assert from 'node:assert/strict';
import type { Smbios } from './qemu.js';
import type { ParsedBanner } from './banner-parse.js';

export function nuc(serial: string, product = 'NUC11TNHi5'): Smbios {
  return { manufacturer: 'Intel(R) Client Systems', product, serial };
}

/** The node ID (32 hex digits) and its source from the banner's "Node ID" line. */
export function bannerNodeId(b: ParsedBanner): { nodeId: string; source: string } {
  const m = /^([0-9a-f]{32}) \(from ([a-z-]+)\)$/.exec(b.fields['Node ID'] ?? '');
  assert.ok(m, `the banner shows no node ID: ${JSON.stringify(b.fields)}`);
  return { nodeId: m[1] as string, source: m[2] as string };
}

/** The banner shows the SMBIOS values the VM was given, and the hostname derives from the node ID. */
export function assertBannerMatches(b: ParsedBanner, smbios: Smbios): { nodeId: string; hostname: string } {
  assert.ok(
    b.fields['Model']?.includes(smbios.product),
    `banner Model '${b.fields['Model']}' lacks the SMBIOS product ${smbios.product}`,
  );
  assert.equal(b.fields['Serial'], smbios.serial);
  const { nodeId, source } = bannerNodeId(b);
  assert.equal(source, 'system-serial', 'QEMU gives no system UUID, so the node ID must come from the serial');
  assert.equal(
    b.fields['Hostname'],
    `nuc-${nodeId.slice(0, 8)}`,
    'the hostname (read live in the guest) derives from the node ID',
  );
  return { nodeId, hostname: b.fields['Hostname'] as string };
}
