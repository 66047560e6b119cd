/**
 * The k3s config drop-in nucmesh owns: one YAML file in /etc/rancher/k3s/config.yaml.d/, rendered for
 * the node's role. Pure: `renderDropIn` returns the text, the driver writes it.
 *
 * How k3s reads it (pkg/configfilearg/parser.go, readConfigFile): config.yaml first, then every
 * `*.yaml`/`*.yml` in config.yaml.d in name order; a key's last value wins, `key+:` appends to the
 * values before it; the merged keys become `--key=value` flags (a list: one flag per item), which the
 * command-line flags then follow. So the drop-in never touches an operator's config.yaml, a later
 * drop-in (say 90-local.yaml) can still override a value of ours, and list keys are written with `+`
 * so they add to what config.yaml lists instead of replacing it.
 */
import { stringify } from 'yaml';
import { NucmeshError } from '../errors.js';
import type { K3sConfig } from '../config/fleet-schema.js';

/** Read after config.yaml and before any operator drop-in named 51-… to 99-…, which then wins. */
export const DROP_IN_NAME = '50-nucmesh.yaml';

export type K3sRole = 'seed' | 'server' | 'agent';

/** The k3s subcommand of a role. */
export function k3sCommandOf(role: K3sRole): 'server' | 'agent' {
  return role === 'agent' ? 'agent' : 'server';
}

export interface DropInParams {
  role: K3sRole;
  nodeName: string;
  /** The address discovery uses: k3s cannot pick one itself without a default route. */
  nodeIp: string;
  /** Node labels (the inventory labels); the fleet's k3s.nodeLabels are laid over them. */
  labels: Record<string, string>;
  /** Addresses, hostname, hostname.local (servers only; agents have no API certificate). */
  tlsSans: string[];
  /** `https://IP:6443` of the server to join (server and agent roles). */
  serverUrl?: string;
  /** Seed: the cluster secret to create; server/agent: the full K10 token to join with. */
  token?: string;
  /** Seed: the separate secret agents join with. */
  agentToken?: string;
  /** The fleet config's k3s section. */
  fleet?: K3sConfig;
}

/**
 * k3s flags that are lists (urfave/cli StringSlice in pkg/cli/cmds/server.go and agent.go): repeated on
 * the command line, a YAML list in the config file. Written with `key+:` so they append.
 */
export const K3S_LIST_FLAGS: ReadonlySet<string> = new Set([
  'node-label',
  'node-taint',
  'node-ip',
  'node-external-ip',
  'node-internal-dns',
  'node-external-dns',
  'kubelet-arg',
  'kube-proxy-arg',
  'tls-san',
  'disable',
  'cluster-cidr',
  'service-cidr',
  'cluster-dns',
  'kube-apiserver-arg',
  'etcd-arg',
  'kube-controller-manager-arg',
  'kube-scheduler-arg',
  'kube-cloud-controller-manager-arg',
  'airgap-extra-registry',
]);

/** Keys nucmesh sets itself: a fleet flag naming one would break the join, so it is refused. */
export const NUCMESH_KEYS: ReadonlySet<string> = new Set([
  'cluster-init',
  'server',
  'token',
  'token-file',
  'agent-token',
  'agent-token-file',
  'node-name',
  'node-ip',
  'node-label',
  'tls-san',
  'data-dir',
  'config',
  'cluster-reset',
]);

export type DropInValue = string | boolean | string[];

/**
 * Fleet flags (`--disable=traefik`, `--disable traefik`, `--cluster-init`) as config keys: a flag given
 * once is a scalar (`key: value`, booleans `true`), a list flag or one given more than once a list.
 * Throws E_K3S_CONFIG naming the field for anything else, and for a key nucmesh sets.
 */
export function flagsToConfig(flags: readonly string[], field: string): Record<string, DropInValue> {
  const out: Record<string, DropInValue> = {};
  flags.forEach((flag, i) => {
    const m = /^--?([a-z0-9][a-z0-9-]*)(?:[= ](.*))?$/s.exec(flag.trim());
    // The value is left out of the message: a flag may carry a secret (etcd-s3-secret-key).
    const shown = flag.split(/[= ]/)[0];
    if (!m) throw configError(`${field}/${i}: '${shown}' is not a k3s flag (--key=value, --key value or --key)`);
    const key = m[1] as string;
    if (NUCMESH_KEYS.has(key))
      throw configError(
        `${field}/${i}: --${key} is set by nucmesh for the node's role; remove it from the fleet config`,
      );
    const value: string | boolean = m[2] === undefined ? true : m[2];
    const prev = out[key];
    if (prev === undefined) out[key] = K3S_LIST_FLAGS.has(key) ? [String(value)] : value;
    else out[key] = [...(Array.isArray(prev) ? prev : [String(prev)]), String(value)];
  });
  return out;
}

/** The drop-in's YAML for `params.role`. */
export function renderDropIn(params: DropInParams): string {
  const { role, fleet } = params;
  const doc: Record<string, DropInValue> = {};
  if (role === 'seed') {
    doc['cluster-init'] = true;
    doc['token'] = required(params.token, 'token');
    if (params.agentToken !== undefined) doc['agent-token'] = params.agentToken;
  } else {
    doc['server'] = required(params.serverUrl, 'serverUrl');
    doc['token'] = required(params.token, 'token');
  }
  doc['node-name'] = params.nodeName;
  doc['node-ip'] = params.nodeIp;
  const labels = { ...params.labels, ...(fleet?.nodeLabels ?? {}) };
  const labelList = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  if (labelList.length > 0) doc['node-label+'] = labelList;
  if (role !== 'agent') {
    const sans = unique([...params.tlsSans, ...(fleet?.tlsSans ?? [])]);
    if (sans.length > 0) doc['tls-san+'] = sans;
    if (fleet) {
      doc['cluster-cidr'] = fleet.clusterCidr;
      doc['service-cidr'] = fleet.serviceCidr;
    }
  }
  const extra =
    role === 'agent'
      ? flagsToConfig(fleet?.agentArgs ?? [], 'k3s/agentArgs')
      : flagsToConfig(fleet?.serverArgs ?? [], 'k3s/serverArgs');
  for (const [key, value] of Object.entries(extra)) {
    if (key in doc) throw configError(`k3s: --${key} is set by nucmesh from another fleet field; remove the flag`);
    doc[Array.isArray(value) ? `${key}+` : key] = value;
  }
  return (
    `# Written by nucmesh for this node's role (${role}); rewritten at every start. Put your own\n` +
    `# settings in config.yaml or a later drop-in (e.g. 90-local.yaml), not here.\n` +
    stringify(doc)
  );
}

function required(v: string | undefined, name: string): string {
  if (v === undefined || v === '') throw configError(`the k3s drop-in for this role needs ${name}`);
  return v;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function configError(message: string): NucmeshError {
  return new NucmeshError('E_K3S_CONFIG', message);
}
