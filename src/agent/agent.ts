/**
 * The node service (`nucmesh agent`), the composition root: the only module that knows every
 * part. It starts the console banner and the API at once, runs the boot steps (persisted,
 * resumable), waits for a valid fleet config, then starts discovery, until told to stop.
 *
 * It never exits because something is missing or broken. A boot step that fails, a fleet config
 * that is missing or invalid, an API port that is taken, discovery that cannot start: each
 * shows as a state with a sentence saying what to do (banner, `GET /v1/health`, log), and the
 * agent tries again by itself (retry.ts; the fleet config is looked at every 2 s). A restart
 * loop would only hide the reason from the technician.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { componentLogger, type Logger, type LogRing } from '../log.js';
import { NucmeshError, errorMessage } from '../errors.js';
import { PACKAGE_VERSION } from '../version.js';
import type { FleetConfig } from '../config/fleet.js';
import { fleetId, fleetKeyBytes } from '../node/fleet-crypto.js';
import type { PeerEndpoints } from '../api/app.js';
import { ensureNodeCertificate, makeNodeCertificate, type NodeCertificate } from '../api/node-cert.js';
import { createNodeMetrics, type NodeMetrics } from '../node/metrics.js';
import { createOps, type OpsParts } from './ops.js';
import { startDiscovery, type DiscoveryService } from '../discovery/service.js';
import { bootSteps, phaseOf, type BootContext } from '../firstboot/boot-steps.js';
import { runSteps } from '../node/steps.js';
import { NodeState } from '../node/node-state.js';
import {
  nodeStateFile,
  persistNodeState,
  readPersistedNodeState,
  type NodeStatePersistence,
} from '../node/persisted-state.js';
import { startConsoleBanner } from '../firstboot/console/start-banner.js';
import { DEFAULT_API, DEFAULT_BANNER_TTYS, fleetCandidates, k3sOptionsOf, type AgentOptions } from './options.js';
import { describeFleetProblem, looksOnEsp, watchFleetConfig, type FleetConfigStatus } from './fleet-config-watch.js';
import { discoveryOptions, peerEndpoints } from './node-discovery.js';
import { retryUntilDone } from './retry.js';
import { crashIfAsked } from './fault-injection.js';
import { ELECTION_QUERY_INTERVAL_MS } from '../cluster/election-runner.js';
import { createApiService } from './api-service.js';
import { createEspWatch, liveAgentHost, type AgentHost } from './esp-watch.js';
import { systemdNotifier, statusLine } from './systemd-notify.js';
import { startClusterPart, type ClusterPart } from './cluster-part.js';
import { k3sVersionReader } from './k3s-version.js';
import type { JoinServer } from '../cluster/join-server.js';
import { runInstallerMode, type InstallerView } from './installer-mode.js';
import { runTool } from '../installer/run-tool.js';

export type { AgentHost } from './esp-watch.js';

export interface AgentHandle {
  state: NodeState;
  /** Resolves once the boot steps are done (or the agent was stopped first). */
  booted: Promise<void>;
  /** Resolves with the discovery service once it runs, undefined when stopped first. */
  discovering: Promise<DiscoveryService | undefined>;
  /** The port the API listens on, while it does. */
  apiPort(): number | undefined;
  /** Stop every service, in reverse order of start. */
  stop(): Promise<void>;
}

/** What the agent is given besides its options: the log's memory of recent lines, the cluster side's hooks. */
export interface AgentExtras {
  logRing?: LogRing;
  metrics?: NodeMetrics;
  cluster?: OpsParts['cluster'];
}

export function startAgent(
  options: AgentOptions,
  log: Logger,
  host: AgentHost = liveAgentHost,
  extras: AgentExtras = {},
): AgentHandle {
  const abort = new AbortController();
  const { signal } = abort;
  const state = new NodeState();
  const ctx: BootContext = { options, log, dataDir: options.dataDir };
  const candidates = fleetCandidates(options);
  let config: Readonly<FleetConfig> | undefined;
  let discovery: DiscoveryService | undefined;
  let peers: PeerEndpoints | undefined;
  let cluster: ClusterPart | undefined;
  let joinServer: JoinServer | undefined;
  let startCluster: (() => ClusterPart) | undefined;
  let stopping = false;
  const notifier = systemdNotifier(process.env, log);
  if (notifier) state.on('change', (s) => notifier.status(statusLine(s)));
  const metrics = extras.metrics ?? createNodeMetrics();
  metrics.setState(state.current.state);
  state.on('change', (s) => metrics.setState(s.state));

  // ---- the node certificate: made once (self-signed), issued anew by the fleet CA once one is configured
  let certificate: Promise<NodeCertificate & { made?: boolean }> | undefined;
  // A data dir that cannot be written must not keep the API down (it says why the node is
  // blocked): the certificate is then made for this run only, and kept once the dir works.
  const nodeCertificate = (): Promise<NodeCertificate> =>
    (certificate ??= ensureNodeCertificate(options.dataDir, { hostname: os.hostname() }).then(
      (c) => {
        if (c.made) log.info({ fingerprint: c.fingerprint }, 'API certificate made (self-signed)');
        return c;
      },
      async (err: unknown) => {
        log.warn(
          { err: errorMessage(err) },
          'API certificate: cannot keep one in the data dir; using one for this run',
        );
        return makeNodeCertificate({ hostname: os.hostname() });
      },
    ));
  const installerView: InstallerView = {};

  // ---- POST /v1/actions/rejoin: what `nucmesh reset --rejoin` does, with the agent running on
  let rejoining: Promise<void> | undefined;
  const rejoin = (clusterId: string | undefined): Promise<void> =>
    (rejoining ??= (async () => {
      const part = cluster;
      if (!part || !startCluster || stopping)
        throw new NucmeshError(
          'E_UNAVAILABLE',
          'rejoin: the cluster steps do not run yet (no fleet config or discovery)',
        );
      cluster = undefined;
      joinServer = undefined;
      await part.stop();
      const { left } = await part.forget(clusterId);
      const to = clusterId !== undefined ? `cluster ${clusterId}` : 'the cluster in sight (or a new one)';
      log.warn({ left, clusterId }, `rejoin: k3s state wiped${left ? ` (was in cluster ${left})` : ''}; joining ${to}`);
      state.set({ state: 'forming', clusterId: '', detail: `rejoining: joining ${to}` });
      if (!stopping) cluster = startCluster();
    })().finally(() => (rejoining = undefined)));

  // ---- the API: up from the start (health route), on the fleet config's address once known
  const api = createApiService({
    deps: {
      version: PACKAGE_VERSION,
      nodeId: () => ctx.identity?.nodeId ?? '',
      state: () => state.current,
      stopping: () => stopping,
      peers: () => peers,
      join: () => joinServer,
      ready: () => state.current.state !== 'booting' && state.current.state !== 'failed',
      tokens: () => config?.api.tokens,
      metrics,
      ops: createOps({
        ctx,
        state,
        config: () => config,
        discovery: () => discovery,
        ...(extras.logRing ? { logRing: extras.logRing } : {}),
        // The cluster side: the admin kubeconfig k3s writes (servers), unless the caller says otherwise.
        cluster: {
          kubeconfig: k3sOptionsOf(options).kubeconfig,
          role: () => cluster?.role() ?? null,
          k3sVersion: k3sVersionReader(k3sOptionsOf(options).bin),
          rejoin: (clusterId) => rejoin(clusterId),
          async leave() {
            if (!cluster) throw new NucmeshError('E_LEAVE_REFUSED', 'the node is no cluster member yet');
            await cluster.leave();
          },
          ...extras.cluster,
        },
      }),
      onInternalError: (err: unknown) => log.error({ err }, 'API: internal error'),
    },
    tls: nodeCertificate,
    wanted: () => ({
      bind: config?.api.bind ?? DEFAULT_API.bind,
      port: options.apiPort ?? config?.api.port ?? DEFAULT_API.port,
    }),
    log,
    signal,
  });
  void api.ensure();

  // ---- the console banner (the image's service only)
  const stopBanner = options.applyHost
    ? startConsoleBanner({
        devices: options.bannerTtys ?? DEFAULT_BANNER_TTYS,
        log,
        state,
        context: () => ({
          inventory: ctx.inventory,
          identity: ctx.identity,
          apiPort: api.port() ?? options.apiPort ?? config?.api.port ?? DEFAULT_API.port,
          ...(api.problem() ? { apiProblem: api.problem() } : {}),
          ...installerView,
        }),
      })
    : undefined;

  const blocked = (what: string) => (err: unknown, attempt: number, pause: number) => {
    const detail = `${what}: ${errorMessage(err)}. Trying again in ${Math.round(pause / 1000)} s (attempt ${attempt})`;
    log.error({ err: errorMessage(err), attempt, retryInMs: pause }, detail);
    state.set({ state: 'failed', detail });
  };

  // ---- the node state on disk (node-state.json), from the moment the data dir exists
  let persistence: NodeStatePersistence | undefined;
  const persistState = async (): Promise<void> => {
    if (persistence) return;
    const file = nodeStateFile(options.dataDir);
    try {
      const before = await readPersistedNodeState(file);
      if (before)
        log.info(
          { was: before.snapshot.state, clusterId: before.snapshot.clusterId, at: before.updatedAt },
          `state before this start: ${before.snapshot.state}`,
        );
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'the persisted node state cannot be read; it is written anew');
    }
    persistence = persistNodeState(state, file, {
      onError: (err) => log.warn({ err: errorMessage(err), file }, 'cannot write the node state'),
    });
  };

  // ---- the boot steps
  const booted = (async () => {
    const done = await retryUntilDone(
      async () => {
        await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
        await persistState();
        await runSteps(options.dataDir, bootSteps, ctx, {
          onStart: (step, attempt) => {
            state.set({ state: 'booting', step });
            log.info({ step, phase: phaseOf(step), attempt }, `boot step ${step}: start`);
            crashIfAsked(step);
          },
          onSkip: (step, reason) => log.info({ step, phase: phaseOf(step) }, `boot step ${step}: ${reason}`),
          onDone: (step, ms) => {
            metrics.bootStepSeconds.set({ step, status: 'done' }, ms / 1000);
            log.info({ step, phase: phaseOf(step), ms }, `boot step ${step}: done`);
          },
          onFail: (step, err) => {
            metrics.bootStepSeconds.set({ step, status: 'failed' }, 0);
            log.error({ step, phase: phaseOf(step), err }, `boot step ${step}: failed`);
          },
        });
        return true;
      },
      { signal, onFailure: blocked('boot') },
    );
    if (done) state.set({ state: 'booting' });
  })();

  // ---- the fleet config, then discovery
  let watch: ReturnType<typeof watchFleetConfig> | undefined;
  const espWatch = createEspWatch({ host, log, applyHost: options.applyHost === true });
  let lastDetail = '';
  const onFleetStatus = async (s: FleetConfigStatus): Promise<void> => {
    if (s.kind === 'loaded') return;
    const onEsp = s.kind === 'missing' && looksOnEsp(s.looked);
    const esp = onEsp ? await espWatch.look() : undefined;
    const { state: name, detail } = describeFleetProblem(s, esp);
    if (detail !== lastDetail) {
      lastDetail = detail;
      log.warn({ state: name }, detail);
    }
    state.set({ state: name, detail });
  };

  const discovering = (async (): Promise<DiscoveryService | undefined> => {
    await booted;
    if (signal.aborted) return undefined;
    // On a stick (live mode): install onto the internal disk instead of joining anything.
    if (options.live && options.applyHost) {
      const outcome = await runInstallerMode({
        live: options.live,
        fleetCandidates: candidates,
        state,
        log: componentLogger(log, 'installer'),
        version: PACKAGE_VERSION,
        run: runTool,
        view: installerView,
        reboot: () => host.reboot(),
      });
      if (outcome.kind !== 'run-live' || signal.aborted) return undefined;
    }
    await espWatch
      .logAtStart()
      .catch((err: unknown) => log.debug({ err: errorMessage(err) }, 'EFI partition: cannot tell'));
    watch = watchFleetConfig({ candidates, pollMs: options.fleetPollMs ?? 2000, onStatus: onFleetStatus });
    const loaded = await watch.loaded.catch(() => undefined);
    if (!loaded || signal.aborted) return undefined;
    if (loaded.tooOpen)
      log.warn({ file: loaded.path }, 'fleet config is readable by other users; it holds secrets: chmod 600 it');
    config = loaded.config;
    log.info({ fleet: config.name, fleetId: fleetId(config.key), file: loaded.path }, 'fleet config loaded');
    state.set({ state: 'booting' });
    const ca = config.api.ca;
    if (ca) {
      certificate = ensureNodeCertificate(options.dataDir, { hostname: os.hostname(), ca });
      const c = await certificate;
      if (c.made) log.info({ fingerprint: c.fingerprint }, 'API certificate issued by the fleet CA');
      api.setCertificate(c);
    }
    await api.ensure();
    const identity = ctx.identity;
    const cfg = config;
    const port = api.port();
    const pin = (await nodeCertificate()).fingerprint;
    if (port === undefined || !identity || signal.aborted) return undefined;
    const d = await retryUntilDone(
      () =>
        startDiscovery(
          discoveryOptions(
            {
              config: cfg,
              nodeId: identity.nodeId,
              hostname: identity.hostname,
              dataDir: options.dataDir,
              interfaces: options.interfaces,
              state,
              log,
              // Ask again at least every 8 s: the seed election's bounds count on it (election.ts).
              browser: { maxQueryIntervalMs: ELECTION_QUERY_INTERVAL_MS },
              metrics,
            },
            port,
            pin,
          ),
        ),
      { signal, onFailure: blocked('discovery') },
    );
    if (!d) return undefined;
    discovery = d;
    peers = peerEndpoints(d, fleetKeyBytes(cfg));
    // Booted and visible: the cluster steps take it from here (election, join, k3s).
    state.set({ state: 'forming' });
    startCluster = () =>
      startClusterPart({
        options,
        config: cfg,
        identity,
        inventory: ctx.inventory,
        discovery: d,
        state,
        log,
        signal,
        notifier,
        metrics,
        onJoinServer: (j) => (joinServer = j),
        onInventory: (inv) => (ctx.inventory = inv),
      });
    cluster = startCluster();
    return d;
  })();
  discovering.catch((err: unknown) => log.error({ err }, 'agent: unexpected failure'));

  return {
    state,
    booted,
    discovering: discovering.catch(() => undefined),
    apiPort: () => api.port(),
    async stop() {
      stopping = true;
      abort.abort();
      watch?.stop();
      await discovering.catch(() => undefined);
      await rejoining?.catch(() => undefined);
      const [d, p, c] = [discovery, persistence, cluster];
      const stops: [string, (() => Promise<void>) | undefined][] = [
        ['cluster', c && (() => c.stop())],
        ['discovery', d && (() => d.stop())],
        ['API', () => api.close()],
        ['banner', stopBanner],
        ['node state file', p && (() => p.flushed().then(() => p.stop()))],
      ];
      for (const [what, stop] of stops) {
        try {
          await stop?.();
        } catch (err) {
          log.warn({ err, what }, `error while stopping the ${what}`);
        }
      }
    },
  };
}
