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
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { PACKAGE_VERSION } from '../version.js';
import type { FleetConfig } from '../config/fleet.js';
import { fleetId, fleetKeyBytes } from '../node/fleet-crypto.js';
import { buildApp, type PeerEndpoints } from '../api/app.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import { startDiscovery, type DiscoveryService } from '../discovery/service.js';
import { bootSteps, phaseOf, type BootContext } from '../firstboot/boot-steps.js';
import { runSteps } from '../firstboot/steps.js';
import { NodeState } from '../node/node-state.js';
import {
  nodeStateFile,
  persistNodeState,
  readPersistedNodeState,
  type NodeStatePersistence,
} from '../node/persisted-state.js';
import {
  ESP_MOUNT_UNIT,
  ESP_MOUNTPOINT,
  describeEsp,
  espStatus,
  mountedIsBootEsp,
  type EspStatus,
} from '../firstboot/esp.js';
import { startConsoleBanner } from '../firstboot/console/start-banner.js';
import { DEFAULT_API, DEFAULT_BANNER_TTYS, fleetCandidates, type AgentOptions } from './options.js';
import { describeFleetProblem, watchFleetConfig, type FleetConfigStatus } from './fleet-config-watch.js';
import { discoveryOptions, peerEndpoints } from './node-discovery.js';
import { retryUntilDone } from './retry.js';

/** What the agent asks of the machine beyond files it reads: the ESP and systemd. */
export interface AgentHost {
  espStatus(): Promise<EspStatus>;
  mountedIsBootEsp(s: EspStatus): Promise<boolean>;
  /** `systemctl start --no-block UNIT` (only with --apply-host). */
  startUnit(unit: string): Promise<void>;
}

const run = promisify(execFile);

export const liveAgentHost: AgentHost = {
  espStatus: () => espStatus(),
  mountedIsBootEsp: (s) => mountedIsBootEsp(s),
  async startUnit(unit) {
    await run('systemctl', ['start', '--no-block', unit], { timeout: 10_000 });
  },
};

/** A present but unmounted ESP is mounted again at most this often. */
const ESP_MOUNT_RETRY_MS = 30_000;

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

export function startAgent(options: AgentOptions, log: Logger, host: AgentHost = liveAgentHost): AgentHandle {
  const abort = new AbortController();
  const { signal } = abort;
  const state = new NodeState();
  const ctx: BootContext = { options, log, dataDir: options.dataDir };
  const candidates = fleetCandidates(options);
  let config: Readonly<FleetConfig> | undefined;
  let discovery: DiscoveryService | undefined;
  let peers: PeerEndpoints | undefined;
  let stopping = false;

  // ---- the API: up from the start (health route), on the fleet config's address once known
  let api: { server: ApiServer; bind: string; port: number } | undefined;
  let apiProblem: string | undefined;
  const wantedApi = () => ({
    bind: config?.api.bind ?? DEFAULT_API.bind,
    port: options.apiPort ?? config?.api.port ?? DEFAULT_API.port,
  });
  const apiDeps = {
    version: PACKAGE_VERSION,
    nodeId: () => ctx.identity?.nodeId ?? '',
    state: () => state.current,
    stopping: () => stopping,
    peers: () => peers,
    onInternalError: (err: unknown) => log.error({ err }, 'API: internal error'),
  };
  const listenApi = async (): Promise<void> => {
    const want = wantedApi();
    if (api && api.bind === want.bind && api.port === want.port) return;
    if (api) {
      log.info(
        { from: `${api.bind}:${api.port}`, to: `${want.bind}:${want.port}` },
        'API: moving to the address of the fleet config',
      );
      await api.server.close();
      api = undefined;
    }
    await retryUntilDone(
      async () => {
        const server = await startApiServer(buildApp(apiDeps), want.bind, want.port);
        api = { server, ...want };
        apiProblem = undefined;
        log.info({ port: server.port, bind: want.bind }, 'API listening');
      },
      {
        signal,
        onFailure: (err, attempt, pause) => {
          apiProblem = `${errorMessage(err)} (trying again)`;
          if (attempt <= 3 || attempt % 10 === 0)
            log.error({ err: errorMessage(err), attempt, retryInMs: pause }, 'API: cannot listen; trying again');
        },
      },
    );
  };
  let apiTask = listenApi();

  // ---- the console banner (the image's service only)
  const stopBanner = options.applyHost
    ? startConsoleBanner({
        devices: options.bannerTtys ?? DEFAULT_BANNER_TTYS,
        log,
        state,
        context: () => ({
          inventory: ctx.inventory,
          identity: ctx.identity,
          apiPort: wantedApi().port,
          ...(apiProblem ? { apiProblem } : {}),
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
          },
          onSkip: (step, reason) => log.info({ step, phase: phaseOf(step) }, `boot step ${step}: ${reason}`),
          onDone: (step, ms) => log.info({ step, phase: phaseOf(step), ms }, `boot step ${step}: done`),
          onFail: (step, err) => log.error({ step, phase: phaseOf(step), err }, `boot step ${step}: failed`),
        });
        return true;
      },
      { signal, onFailure: blocked('boot') },
    );
    if (done) state.set({ state: 'booting' });
  })();

  // ---- the fleet config, then discovery
  let watch: ReturnType<typeof watchFleetConfig> | undefined;
  let lastMountAttempt = -Infinity;
  let lastDetail = '';
  const onFleetStatus = async (s: FleetConfigStatus): Promise<void> => {
    if (s.kind === 'loaded') return;
    const esp =
      s.kind === 'missing' && s.looked.some((p) => p.startsWith(`${ESP_MOUNTPOINT}/`))
        ? await host.espStatus()
        : undefined;
    if (
      esp?.location &&
      esp.present &&
      !esp.mountedFrom &&
      options.applyHost &&
      performance.now() - lastMountAttempt > ESP_MOUNT_RETRY_MS
    ) {
      lastMountAttempt = performance.now();
      log.info(
        { partuuid: esp.location.partuuid },
        `EFI partition ${describeEsp(esp.location)} is there but not mounted: starting ${ESP_MOUNT_UNIT}`,
      );
      await host
        .startUnit(ESP_MOUNT_UNIT)
        .catch((err: unknown) => log.warn({ err: errorMessage(err) }, `cannot start ${ESP_MOUNT_UNIT}`));
    }
    const { state: name, detail } = describeFleetProblem(s, esp);
    if (detail !== lastDetail) {
      lastDetail = detail;
      log.warn({ state: name }, detail);
    }
    state.set({ state: name, detail });
  };

  const logEsp = async (): Promise<void> => {
    const esp = await host.espStatus();
    if (!esp.location) return void log.info('EFI partition: not named by the boot loader or the kernel command line');
    const fields = {
      partuuid: esp.location.partuuid,
      source: esp.location.source,
      present: esp.present,
      mountedFrom: esp.mountedFrom ?? null,
    };
    if (!esp.mountedFrom)
      return void log.info(fields, `EFI partition: ${describeEsp(esp.location)}, not mounted at ${ESP_MOUNTPOINT} yet`);
    if (await host.mountedIsBootEsp(esp))
      return void log.info(fields, `EFI partition: ${describeEsp(esp.location)}, mounted at ${ESP_MOUNTPOINT}`);
    log.warn(
      fields,
      `${ESP_MOUNTPOINT} holds ${esp.mountedFrom}, not the EFI partition this node booted from (${describeEsp(esp.location)})`,
    );
  };

  const discovering = (async (): Promise<DiscoveryService | undefined> => {
    await booted;
    if (signal.aborted) return undefined;
    await logEsp().catch((err: unknown) => log.debug({ err: errorMessage(err) }, 'EFI partition: cannot tell'));
    watch = watchFleetConfig({ candidates, pollMs: options.fleetPollMs ?? 2000, onStatus: onFleetStatus });
    const loaded = await watch.loaded.catch(() => undefined);
    if (!loaded || signal.aborted) return undefined;
    if (loaded.tooOpen)
      log.warn({ file: loaded.path }, 'fleet config is readable by other users; it holds secrets: chmod 600 it');
    config = loaded.config;
    log.info({ fleet: config.name, fleetId: fleetId(config.key), file: loaded.path }, 'fleet config loaded');
    state.set({ state: 'booting' });
    await apiTask;
    apiTask = listenApi();
    await apiTask;
    const identity = ctx.identity;
    const cfg = config;
    if (!api || !identity || signal.aborted) return undefined;
    const port = api.server.port;
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
            },
            port,
          ),
        ),
      { signal, onFailure: blocked('discovery') },
    );
    if (!d) return undefined;
    discovery = d;
    peers = peerEndpoints(d, fleetKeyBytes(cfg));
    // Booted and visible: looking for peers until election (next issue) decides.
    state.set({ state: 'forming' });
    return d;
  })();
  discovering.catch((err: unknown) => log.error({ err }, 'agent: unexpected failure'));

  return {
    state,
    booted,
    discovering: discovering.catch(() => undefined),
    apiPort: () => api?.server.port,
    async stop() {
      stopping = true;
      abort.abort();
      watch?.stop();
      await discovering.catch(() => undefined);
      await apiTask.catch(() => undefined);
      const [d, a, p] = [discovery, api, persistence];
      const stops: [string, (() => Promise<void>) | undefined][] = [
        ['discovery', d && (() => d.stop())],
        ['API', a && (() => a.server.close())],
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
