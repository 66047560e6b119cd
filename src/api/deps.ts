/**
 * What the API app is built from: functions the composition root (src/agent/) implements with
 * the node's parts. The app reads them at each request; it has no state and no I/O of its own
 * beyond what they do.
 */
import type { JoinEndpoint } from '../node/join-wire.js';
import type { NodeStateName } from '../node/node-state.js';
import type { NodeMetrics } from '../node/metrics.js';
import type { DownNotice, NoticeVerdict } from '../node/notice.js';
import type {
  BootStepView,
  ClusterView,
  InventoryView,
  LogLine,
  LogsQuery,
  NodeView,
  PeersView,
} from './ops-schemas.js';

/** What the peer routes need once discovery runs (it needs the fleet key). */
export interface PeerEndpoints {
  fleetKey: Buffer;
  /** Current advert generation. */
  generation(): number;
  /** Judge and apply a down notice. */
  downNotice(notice: DownNotice): NoticeVerdict;
}

/** The fleet config's API tokens (undefined before a fleet config is loaded: no token is good then). */
export interface ApiTokens {
  reader: string;
  admin: string;
}

/** Log lines, finished (`follow` false) or going on until `close()`. */
export interface LogStream {
  source: 'journal' | 'memory';
  lines: AsyncIterable<LogLine>;
  close(): void;
}

/** One file of the support bundle, written to `path` by its maker (streamed, never held whole). */
export interface BundleFile {
  name: string;
  write(path: string): Promise<void>;
}

/** The ops routes' data: everything a person or a script asks a node about. */
export interface OpsDeps {
  node(): NodeView;
  inventory(): InventoryView | undefined;
  refreshInventory(): Promise<InventoryView>;
  peersView(): PeersView;
  bootSteps(): Promise<BootStepView[]>;
  cluster(): Promise<ClusterView | { unavailable: string }>;
  logs(q: Required<Pick<LogsQuery, 'unit' | 'lines' | 'follow'>> & Pick<LogsQuery, 'since'>): Promise<LogStream>;
  /** The files of the support bundle, in order. */
  bundleFiles(): BundleFile[];
  actions: {
    reboot(): Promise<void>;
    rejoin(clusterId?: string): Promise<void>;
    /**
     * Leave the cluster (`nucmesh leave`): rejects with E_LEAVE_REFUSED (why in the message) when it
     * may not, else resolves once the leaving is under way (the state says how far it got).
     */
    leave(): Promise<void>;
  };
}

export interface ApiDeps {
  version: string;
  /** This node's ID; empty until the identity is known. */
  nodeId(): string;
  /** Current state and why (read at each request). */
  state(): { state: NodeStateName; detail?: string; step?: string };
  /** True once the boot sequence reached its ready state (GET /readyz). Default: the state is not booting. */
  ready?(): boolean;
  /** True once the node is shutting down: heartbeats then fail so peers drop it at once. */
  stopping(): boolean;
  /** Undefined until discovery runs (no fleet config yet): the peer routes answer 503. */
  peers(): PeerEndpoints | undefined;
  /** The join server once this node takes joiners (POST /v1/join…); undefined (or absent): 503. */
  join?(): JoinEndpoint | undefined;
  /** The API tokens; undefined (no fleet config yet) refuses every authenticated request. */
  tokens?(): ApiTokens | undefined;
  /** The ops routes' data; without it they answer 503. */
  ops?: OpsDeps;
  /** The metrics registry served at /metrics, where API requests are counted. */
  metrics?: NodeMetrics;
  /** Told of every error that answered 500 (the answer itself says only "internal error"). */
  onInternalError?(err: unknown): void;
}
