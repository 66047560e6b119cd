/** Checks several VM tests make on a booted node's console. */
import assert from 'node:assert/strict';
import type { Vm } from './qemu.js';
import { parseBanners, type ParsedBanner } from './banner-parse.js';

/** The end of a complete banner: the API line, the IP lines, the closing rule. */
/**
 * Where the boot sequence of a test image ends: the images are built without k3s, so after
 * discovery the node stops at `check-k3s` (discovery and the API keep running).
 */
export const END_STATE = 'k3s-missing';

export const BANNER_DONE = /\n {2}API {6}.*\n[\s\S]*?={72}/;

/** Waits for a banner whose State is `state` (after console offset `from`); returns it. */
export async function waitForBannerState(vm: Vm, state: string, timeoutMs: number, from = 0): Promise<ParsedBanner> {
  let found: ParsedBanner | undefined;
  await vm.waitForCondition(
    () => (found = parseBanners(vm.console().slice(from)).find((b) => b.fields['State'] === state)) !== undefined,
    timeoutMs,
    `a banner with State ${state}`,
  );
  return found as unknown as ParsedBanner;
}

/**
 * The fleet config was read from the ESP this boot came from (found by its partition UUID,
 * named by the loader or the command line), and no mount of it hit a device timeout.
 */
export function assertEspNotRaced(text: string, espPartUuid: string, source: 'loader' | 'cmdline'): void {
  const words = source === 'loader' ? 'named by the boot loader' : 'from the kernel command line';
  assert.match(
    text,
    new RegExp(`"msg":"EFI partition: PARTUUID=${espPartUuid} \\(${words}\\)`),
    `the agent did not find the ESP ${espPartUuid} (${source})`,
  );
  assert.match(
    text,
    /"file":"\/boot\/efi\/nucmesh\/fleet\.yaml"[^\n]*"msg":"fleet config loaded"/,
    'the fleet config was not read from the EFI partition',
  );
  assert.doesNotMatch(
    text,
    /Dependency failed for boot-efi\.mount|Timed out waiting for device .*NUCMESH/,
    'a device timeout decided the ESP mount',
  );
}
