/**
 * An API app with every dependency faked, and the secrets a node holds (fleet key, API tokens,
 * a k3s token) planted where a careless route could leak them: in the inventory's and the peers'
 * extra fields, in the fleet config the bundle redacts, in log lines. Tests grep every answer for them.
 */
import { NucmeshError } from '../../src/errors.js';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { buildApp, type ApiDeps, type OpsDeps } from '../../src/api/app.js';
import type { InventoryView, LogLine } from '../../src/api/ops-schemas.js';
import { createNodeMetrics } from '../../src/node/metrics.js';
import { redactedYamlFile, jsonFile } from '../../src/agent/support-files.js';

export const SECRETS = {
  fleetKey: randomBytes(32).toString('base64'),
  reader: 'reader-' + randomBytes(18).toString('base64url'),
  admin: 'admin-' + randomBytes(18).toString('base64url'),
  k3sToken: 'K10' + randomBytes(24).toString('hex') + '::server:' + randomBytes(8).toString('hex'),
};
export const ALL_SECRETS = Object.values(SECRETS);

export function leaked(text: string): string[] {
  return ALL_SECRETS.filter((s) => text.includes(s));
}

export const INVENTORY: InventoryView = {
  system: {
    vendor: 'Intel',
    product: 'NUC11TNHi5',
    version: null,
    serial: 'G6TN1234',
    uuid: null,
    sku: null,
    family: null,
  },
  board: { vendor: 'Intel', name: 'NUC11TNBi5', version: null, serial: 'BTTN1234' },
  bios: { vendor: 'Intel', version: 'TNTGL357', date: null },
  chassis: { type: 'Mini PC' },
  cpu: { vendor: 'GenuineIntel', model: 'i5-1135G7', sockets: 1, cores: 4, threads: 8, flags: ['vmx'] },
  memory: { totalBytes: 16e9, modules: [] },
  disks: [
    {
      name: 'nvme0n1',
      sizeBytes: 5e11,
      transport: 'nvme',
      rotational: false,
      removable: false,
      model: null,
      serial: null,
    },
  ],
  nics: [
    { name: 'eno1', mac: '00:11:22:33:44:55', driver: 'igc', virtual: false, speedMbps: 1000, addresses: ['10.0.0.5'] },
  ],
  gpus: [],
  tpm: { present: true, version: '2.0' },
  virtualization: null,
  kernel: '6.1.0',
  os: { id: 'debian', name: 'Debian', version: '13' },
  platform: { kind: 'nuc', model: 'NUC11TNHi5', generation: 11 },
  warnings: [],
};

export interface FixtureOptions {
  cluster?: Awaited<ReturnType<OpsDeps['cluster']>>;
  noTokens?: boolean;
  actions?: string[];
  /** `leave` is refused with this reason. */
  refuseLeave?: string;
}

export function opsFixture(o: FixtureOptions = {}): OpsDeps {
  const lines: LogLine[] = [
    { time: '2026-12-01T10:00:00.000Z', unit: 'nucmesh', priority: 6, message: 'boot step inventory: done' },
    { time: '2026-12-01T10:00:01.000Z', unit: 'nucmesh', priority: 6, message: 'fleet config loaded' },
  ];
  const seen = o.actions ?? [];
  return {
    node: () => ({
      nodeId: 'aa11bb22cc33dd44ee55ff6600112233',
      hostname: 'nuc-aa11bb22',
      model: 'NUC11TNHi5',
      serial: 'G6TN1234',
      state: 'forming',
      role: null,
      clusterId: '',
      uptimeSeconds: 12.5,
      addresses: [{ iface: 'eno1', address: '10.0.0.5', family: 'IPv4' }],
      versions: { nucmesh: '0.1.0', k3s: null, kernel: '6.1.0', os: 'Debian 13', node: 'v20' },
      // Not in the schema: never answered.
      ...({ fleetKey: SECRETS.fleetKey } as object),
    }),
    inventory: () => ({ ...INVENTORY, ...({ token: SECRETS.admin } as object) }),
    refreshInventory: async () => ({ ...INVENTORY, warnings: ['read again'] }),
    peersView: () => ({
      discovering: true,
      peers: [
        {
          nodeId: 'bb11bb22cc33dd44ee55ff6600112233',
          instance: 'nuc-bb11bb22',
          state: 'forming',
          clusterId: '',
          generation: 3,
          port: 8443,
          addresses: ['10.0.0.6'],
          ...({ key: SECRETS.fleetKey } as object),
        },
      ],
      rejected: { badSignature: 2, otherFleet: 1 },
    }),
    bootSteps: async () => [
      { name: 'inventory', phase: 'hardware', status: 'done', attempts: 1, durationMs: 420 },
      {
        name: 'identity',
        phase: 'hardware',
        status: 'failed',
        attempts: 2,
        error: { code: 'E_STEP_FAILED', message: 'no disk' },
      },
    ],
    cluster: async () =>
      o.cluster ?? { unavailable: 'k3s is not up on this node (no kubeconfig at /etc/rancher/k3s/k3s.yaml)' },
    logs: async (q) => ({
      source: 'memory',
      lines: (async function* () {
        yield* lines.filter((l) => l.unit === q.unit).slice(-q.lines);
      })(),
      close: () => undefined,
    }),
    bundleFiles: () => [
      jsonFile('node.json', () => ({ nodeId: 'aa11' })),
      jsonFile('inventory.json', () => INVENTORY),
      { name: 'capture/dmi-id/product_name', write: (p) => writeFile(p, 'NUC11TNHi5\n') },
      jsonFile('boot-steps.json', () => []),
      jsonFile('peers.json', () => []),
      redactedYamlFile('fleet.yaml', () => ({
        version: 1,
        name: 'lab',
        key: SECRETS.fleetKey,
        api: { port: 8443, tokens: { reader: SECRETS.reader, admin: SECRETS.admin } },
      })),
      redactedYamlFile('k3s-config.yaml', () => ({
        token: SECRETS.k3sToken,
        'agent-token': SECRETS.k3sToken,
        'node-label': ['a=b'],
      })),
      { name: 'journal/nucmesh.txt', write: (p) => writeFile(p, lines.map((l) => l.message).join('\n')) },
      { name: 'dmesg.txt', write: () => Promise.reject(new Error('dmesg: not permitted')) },
      { name: '../escape.txt', write: (p) => writeFile(p, 'never') },
    ],
    actions: {
      reboot: async () => void seen.push('reboot'),
      rejoin: async (id) => void seen.push(`rejoin ${id ?? ''}`),
      leave: async () => {
        if (o.refuseLeave) throw new NucmeshError('E_LEAVE_REFUSED', o.refuseLeave);
        seen.push('leave');
      },
    },
  };
}

export function opsApp(o: FixtureOptions = {}, extra: Partial<ApiDeps> = {}) {
  const metrics = createNodeMetrics();
  const deps: ApiDeps = {
    version: '0.1.0',
    nodeId: () => 'aa11bb22cc33dd44ee55ff6600112233',
    state: () => ({ state: 'forming' }),
    stopping: () => false,
    peers: () => undefined,
    tokens: () => (o.noTokens ? undefined : { reader: SECRETS.reader, admin: SECRETS.admin }),
    ops: opsFixture(o),
    metrics,
    ...extra,
  };
  return { app: buildApp(deps), metrics, deps };
}

export const asReader = { authorization: `Bearer ${SECRETS.reader}` };
export const asAdmin = { authorization: `Bearer ${SECRETS.admin}` };
