/**
 * The fleet config: one typed, versioned schema, the single source of every setting
 * a node needs. Defaults fill everything optional; unknown keys are an error.
 */
import { Type, type Static } from '@sinclair/typebox';

/** 32 random bytes, base64 (44 characters). */
export const FleetKeySchema = Type.String({
  pattern: '^[A-Za-z0-9+/]{43}=$',
  description: 'fleet key: 32 random bytes, base64 (44 characters)',
});

const ApiTokenSchema = Type.String({
  minLength: 24,
  maxLength: 256,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'bearer token: at least 24 URL-safe characters',
});

const DnsLabel = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
  description: 'a DNS label: lower-case letters, digits and -, 1 to 63 characters',
});

/** A node ID as nodes advertise it (src/node/wire.ts NODE_ID). */
const NodeIdSchema = Type.String({
  pattern: '^[0-9a-z][0-9a-z-]{0,62}$',
  description: 'a node ID: lower-case letters, digits and -, at most 63 characters',
});

export const ApiConfigSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 8443 }),
    bind: Type.String({ default: '0.0.0.0', minLength: 1 }),
    tokens: Type.Object(
      {
        reader: ApiTokenSchema,
        admin: ApiTokenSchema,
      },
      { additionalProperties: false },
    ),
    /** A fleet CA: node API certificates are issued by it instead of self-signed (ECDSA P-256 key). */
    ca: Type.Optional(
      Type.Object(
        {
          cert: Type.String({ pattern: '-----BEGIN CERTIFICATE-----', description: 'the CA certificate, PEM' }),
          key: Type.String({ pattern: '-----BEGIN (EC )?PRIVATE KEY-----', description: 'the CA key, PEM (a secret)' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const DiscoveryConfigSchema = Type.Object(
  {
    /** Interfaces to advertise and browse on; empty means every physical interface. */
    interfaces: Type.Array(Type.String({ minLength: 1, maxLength: 15 }), { default: [] }),
    /** A peer that misses liveness checks for this long is down. */
    peerTimeoutSeconds: Type.Number({ minimum: 1, maximum: 600, default: 10 }),
    /** How often the peers the election depends on are checked for liveness. */
    heartbeatSeconds: Type.Number({ minimum: 0.5, maximum: 300, default: 3 }),
    /** How long a fresh node listens for peers before it may claim to be the seed (src/cluster/election.ts). */
    formingSeconds: Type.Number({ minimum: 1, maximum: 3600, default: 5 }),
    /** How long a seed claim must be backed by every visible peer before the claimant seeds. */
    claimHoldSeconds: Type.Number({ minimum: 1, maximum: 600, default: 4 }),
  },
  { additionalProperties: false },
);

export const K3sConfigSchema = Type.Object(
  {
    /** Extra `k3s server` flags, e.g. ["--disable=traefik"]. */
    serverArgs: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Extra `k3s agent` flags. */
    agentArgs: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Extra node labels on top of the hardware labels. */
    nodeLabels: Type.Record(Type.String({ minLength: 1, maxLength: 253 }), Type.String({ maxLength: 63 }), {
      default: {},
    }),
    /** Extra subject alternative names for the API server certificate. */
    tlsSans: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    clusterCidr: Type.String({ default: '10.42.0.0/16' }),
    serviceCidr: Type.String({ default: '10.43.0.0/16' }),
  },
  { additionalProperties: false },
);

export const SshConfigSchema = Type.Object(
  {
    /** OpenSSH public keys allowed to log in as root; empty means no SSH at all. */
    authorizedKeys: Type.Array(Type.String({ pattern: '^(ssh|ecdsa|sk)-[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+( .*)?$' }), {
      default: [],
    }),
  },
  { additionalProperties: false },
);

export const InstallConfigSchema = Type.Object(
  {
    /** auto: a node booted from a USB stick installs onto its internal disk; never: it runs from the stick. */
    mode: Type.Union([Type.Literal('auto'), Type.Literal('never')], { default: 'auto' }),
    /** The disk to install onto, a /dev/disk/by-id/ name (nvme-Samsung_SSD_980_S64DNX0R123456); default: chosen. */
    target: Type.Optional(
      Type.String({
        pattern: '^(/dev/disk/by-id/)?[A-Za-z0-9._:+-]+$',
        description: 'a /dev/disk/by-id/ name',
      }),
    ),
    /** blank-only: a disk with a partition table or file system is left alone; always: it is overwritten. */
    wipe: Type.Union([Type.Literal('blank-only'), Type.Literal('always')], { default: 'blank-only' }),
  },
  { additionalProperties: false },
);

const ServerCountSchema = Type.Integer({ minimum: 1, maximum: 9 });

export const ServersConfigSchema = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: 9, default: 3 }),
    /** A server whose Node is NotReady this long is replaced by an agent (while etcd keeps quorum). */
    replaceAfterSeconds: Type.Integer({ minimum: 10, maximum: 604_800, default: 300 }),
  },
  { additionalProperties: false },
);

export const FleetConfigSchema = Type.Object(
  {
    version: Type.Literal(1, { description: 'schema version: 1' }),
    name: DnsLabel,
    key: FleetKeySchema,
    /**
     * Control-plane (etcd) servers the cluster grows to (odd, for quorum): a count, or
     * `{count, replaceAfterSeconds}` (how long a server's Node may stay NotReady before an agent replaces it).
     */
    servers: Type.Union([ServerCountSchema, ServersConfigSchema], {
      default: 3,
      description: `an odd count of servers (1-9), or {count, replaceAfterSeconds}`,
    }),
    /** Node IDs ranked first, in this order, in the seed election (then every other node by node ID). */
    preferredServers: Type.Array(NodeIdSchema, { default: [], maxItems: 64, uniqueItems: true }),
    /** Fleet size: with it, nothing seeds before a majority (floor(N/2)+1) of the nodes is visible. */
    expectedNodes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
    api: ApiConfigSchema,
    discovery: Type.Object(DiscoveryConfigSchema.properties, { additionalProperties: false, default: {} }),
    k3s: Type.Object(K3sConfigSchema.properties, { additionalProperties: false, default: {} }),
    ssh: Type.Object(SshConfigSchema.properties, { additionalProperties: false, default: {} }),
    install: Type.Object(InstallConfigSchema.properties, { additionalProperties: false, default: {} }),
  },
  { additionalProperties: false },
);

export type FleetConfig = Static<typeof FleetConfigSchema>;
export type ApiConfig = Static<typeof ApiConfigSchema>;
export type DiscoveryConfig = Static<typeof DiscoveryConfigSchema>;
export type K3sConfig = Static<typeof K3sConfigSchema>;
export type InstallConfig = Static<typeof InstallConfigSchema>;
