/**
 * Kubernetes node labels from the inventory, under `nucmesh.io/`, and the Node Feature
 * Discovery local-features file with the same facts. Every key and value obeys the
 * Kubernetes rules (name ≤ 63 chars of [A-Za-z0-9-_.], alphanumeric at both ends).
 */
import { LABEL_PREFIX } from '../node/wire.js';
import type { DiskTransport, Inventory } from './hardware/types.js';

/** Where NFD's `local` source reads feature files. */
export const NFD_FEATURES_FILE = '/etc/kubernetes/node-feature-discovery/features.d/nucmesh';

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A label value made valid: other characters become '-', runs collapse, ends trimmed, ≤ 63 chars
 * ('' when nothing is left).
 */
export function sanitizeLabelValue(raw: string): string {
  let s = raw
    .replace(/\((R|TM|C)\)/gi, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-');
  s = s.replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return s.replace(/[^A-Za-z0-9]+$/, '');
}

/** Is `key` a valid Kubernetes label key (optional DNS-subdomain prefix ≤ 253, '/', name ≤ 63)? */
export function isValidLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== null && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN_RE.test(prefix))) return false;
  return name.length >= 1 && name.length <= 63 && NAME_RE.test(name);
}

export function isValidLabelValue(value: string): boolean {
  return value.length <= 63 && VALUE_RE.test(value);
}

function gib(bytes: number | null): number | null {
  return bytes === null ? null : Math.round(bytes / 1024 ** 3);
}

/** The labels for a node; keys without a known value are left out rather than set to ''. */
export function nodeLabels(inv: Inventory): Record<string, string> {
  const raw: Record<string, string | number | boolean | null> = {
    platform: inv.platform.kind,
    model: inv.platform.model ?? inv.system.product,
    generation: inv.platform.generation,
    'system-vendor': inv.system.vendor,
    'cpu-vendor': inv.cpu.vendor,
    'cpu-model': inv.cpu.model,
    'cpu-cores': inv.cpu.cores,
    'cpu-threads': inv.cpu.threads,
    'memory-gib': gib(inv.memory.installedBytes ?? inv.memory.totalBytes),
    tpm: inv.tpm.present,
    'tpm-version': inv.tpm.version,
    virtualization: inv.virtualization,
  };
  const counts = new Map<DiskTransport, number>();
  for (const d of inv.disks) counts.set(d.transport, (counts.get(d.transport) ?? 0) + 1);
  raw['disks'] = inv.disks.length;
  for (const [kind, n] of counts) raw[`disk-${kind}`] = n;
  for (const flag of ['vmx', 'svm', 'avx2', 'aes', 'sha_ni'])
    if (inv.cpu.flags.includes(flag)) raw[`cpu-${flag.replace('_', '-')}`] = true;

  const labels: Record<string, string> = {};
  for (const [name, v] of Object.entries(raw)) {
    if (v === null) continue;
    const value = sanitizeLabelValue(String(v));
    const key = LABEL_PREFIX + name;
    if (value === '' || !isValidLabelKey(key) || !isValidLabelValue(value)) continue;
    labels[key] = value;
  }
  return labels;
}

/** Content of the NFD local feature file: `name=value` lines (NFD publishes them as labels). */
export function nfdFeaturesFile(inv: Inventory): string {
  const lines = Object.entries(nodeLabels(inv)).map(([k, v]) => `${k}=${v}`);
  return `# written by nucmesh from the hardware inventory; do not edit\n${lines.join('\n')}\n`;
}
