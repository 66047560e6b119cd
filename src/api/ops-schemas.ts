/**
 * Response (and query) schemas of the ops routes. Fastify serializes answers through them, so
 * a field that is not listed here never leaves the node, whatever the dependency returned:
 * the schemas are the list of what may be shown. No field holds a secret.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { nullable, State, stringEnum } from './schemas.js';

const Str = Type.String();
const NStr = nullable('string');
const NInt = nullable('integer');
const NNum = nullable('number');
const NBool = nullable('boolean');
const obj = <P extends Record<string, TSchema>>(p: P) => Type.Object(p, { additionalProperties: false });

export const NodeResponse = obj({
  nodeId: Str,
  hostname: Str,
  model: NStr,
  serial: NStr,
  state: State,
  detail: Type.Optional(Str),
  step: Type.Optional(Str),
  role: Type.Unsafe<'server' | 'agent' | null>({ type: ['string', 'null'], enum: ['server', 'agent', null] }),
  clusterId: Str,
  uptimeSeconds: Type.Number({ minimum: 0 }),
  addresses: Type.Array(obj({ iface: Str, address: Str, family: Str })),
  versions: obj({ nucmesh: Str, k3s: NStr, kernel: NStr, os: NStr, node: Str }),
});
export type NodeView = Static<typeof NodeResponse>;

export const InventoryResponse = obj({
  system: obj({ vendor: NStr, product: NStr, version: NStr, serial: NStr, uuid: NStr, sku: NStr, family: NStr }),
  board: obj({ vendor: NStr, name: NStr, version: NStr, serial: NStr }),
  bios: obj({ vendor: NStr, version: NStr, date: NStr }),
  chassis: obj({ type: NStr }),
  cpu: obj({ vendor: NStr, model: NStr, sockets: NInt, cores: NInt, threads: NInt, flags: Type.Array(Str) }),
  memory: obj({
    totalBytes: NNum,
    installedBytes: Type.Optional(NNum),
    modules: Type.Array(obj({ sizeBytes: Type.Number(), type: NStr, speedMTs: NNum, locator: NStr })),
  }),
  disks: Type.Array(
    obj({
      name: Str,
      sizeBytes: NNum,
      transport: Str,
      rotational: NBool,
      removable: NBool,
      model: NStr,
      serial: NStr,
    }),
  ),
  nics: Type.Array(
    obj({
      name: Str,
      mac: NStr,
      permanentMac: Type.Optional(NStr),
      driver: NStr,
      virtual: Type.Boolean(),
      speedMbps: NNum,
      addresses: Type.Array(Str),
    }),
  ),
  gpus: Type.Array(obj({ vendor: NStr, model: NStr, pciId: NStr })),
  tpm: obj({ present: Type.Boolean(), version: NStr }),
  virtualization: NStr,
  kernel: NStr,
  os: obj({ id: NStr, name: NStr, version: NStr }),
  platform: obj({ kind: Str, model: NStr, generation: NInt }),
  warnings: Type.Array(Str),
});
export type InventoryView = Static<typeof InventoryResponse>;

export const HardwareQuery = obj({ refresh: Type.Optional(Type.Boolean({ description: 'read the hardware again' })) });

export const PeerView = obj({
  nodeId: Str,
  instance: Str,
  state: State,
  clusterId: Str,
  generation: Type.Integer({ minimum: 0 }),
  port: Type.Integer(),
  addresses: Type.Array(Str),
  liveness: Type.Optional(Str),
});
export const PeersResponse = obj({
  /** False until discovery runs (no fleet config yet). */
  discovering: Type.Boolean(),
  peers: Type.Array(PeerView),
  rejected: Type.Record(Str, Type.Integer({ minimum: 0 }), { description: 'adverts and notices rejected, by reason' }),
});
export type PeersView = Static<typeof PeersResponse>;

export const BootStep = obj({
  name: Str,
  phase: Type.Optional(Str),
  status: stringEnum(['pending', 'running', 'done', 'skipped', 'failed'] as const),
  attempts: Type.Integer({ minimum: 0 }),
  startedAt: Type.Optional(Str),
  endedAt: Type.Optional(Str),
  durationMs: Type.Optional(Type.Number({ minimum: 0 })),
  reason: Type.Optional(Str),
  error: Type.Optional(obj({ code: Str, message: Str })),
});
export type BootStepView = Static<typeof BootStep>;
export const BootstrapResponse = obj({ state: State, step: Type.Optional(Str), steps: Type.Array(BootStep) });

export const ClusterNode = obj({
  name: Str,
  roles: Type.Array(Str),
  ready: Type.Boolean(),
  kubeletVersion: Str,
  addresses: Type.Array(Str),
  labels: Type.Record(Str, Str, { description: 'the labels nucmesh sets (nucmesh.io/...)' }),
});
export const ClusterResponse = obj({
  clusterId: Str,
  nodes: Type.Array(ClusterNode),
  etcdMembers: Type.Integer({ minimum: 0 }),
});
export type ClusterView = Static<typeof ClusterResponse>;

export const LOG_UNITS = ['nucmesh', 'k3s', 'k3s-agent', 'kernel'] as const;
export type LogUnit = (typeof LOG_UNITS)[number];
export const MAX_LOG_LINES = 5000;

export const LogsQuery = obj({
  unit: Type.Optional(stringEnum(LOG_UNITS, { default: 'nucmesh', description: 'whose log' })),
  since: Type.Optional(
    Type.String({
      pattern: '^([0-9]{1,6}[smhd]|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z)$',
      description: 'how far back: 30s, 15m, 2h, 1d, or an ISO time in UTC',
    }),
  ),
  lines: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LOG_LINES, default: 200 })),
  follow: Type.Optional(Type.Boolean({ default: false })),
});
export type LogsQuery = Static<typeof LogsQuery>;

export const LogLine = obj({
  time: Str,
  unit: Str,
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 })),
  message: Str,
});
export type LogLine = Static<typeof LogLine>;
export const LogsResponse = obj({
  source: stringEnum(['journal', 'memory'] as const),
  lines: Type.Array(LogLine),
});

export const RebootRequest = obj({ confirm: Type.Literal('reboot', { description: "must be the word 'reboot'" }) });
export const RejoinRequest = obj({
  confirm: Type.Literal('rejoin', { description: "must be the word 'rejoin'" }),
  clusterId: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,64}$' })),
});
export const LeaveRequest = obj({ confirm: Type.Literal('leave', { description: "must be the word 'leave'" }) });
export const ActionResponse = obj({ accepted: Type.Literal(true), action: Str, message: Str });

export const HealthzResponse = obj({ status: Type.Literal('ok') });
export const ReadyzResponse = obj({ ready: Type.Boolean(), state: State, step: Type.Optional(Str) });
