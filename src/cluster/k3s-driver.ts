/**
 * The k3s driver: writes nucmesh's config drop-in, starts k3s for the node's role, waits until it is
 * ready, reads the join tokens, and wipes k3s' state for a rejoin. Two modes:
 * - systemd (the image): `systemctl enable --now --no-block k3s.service | k3s-agent.service`, the units
 *   install.sh writes (image/k3s/etc/systemd/system/, ExecStart /usr/local/bin/k3s server|agent,
 *   Type=notify). The unit turns active only when k3s sends READY=1: a server after its API server and
 *   etcd are up, an agent once its Node is registered. --no-block because the units have
 *   TimeoutStartSec=0: a blocking start would wait for that forever.
 * - child (containers, tests): `<bin> server|agent --config <configFile> --data-dir <dataDir>` as a
 *   supervised child, restarted with backoff when it exits, its output logged line by line, stopped by
 *   its PID. k3s reads `<configFile>.d/` next to a --config file (pkg/configfilearg/parser.go dotDFiles),
 *   so the drop-in works the same in both modes. NOTIFY_SOCKET is taken out of the child's environment:
 *   it would otherwise report READY to nucmesh's own unit.
 * Ready in both modes: /readyz (servers) and the Node's Ready condition through @kubernetes/client-node,
 * with /etc/rancher/k3s/k3s.yaml on servers and the kubelet's agent/kubelet.kubeconfig on agents, in a
 * worker thread for the length of the wait (k3s-kube-check.ts).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { NucmeshError, errorMessage } from '../errors.js';
import { componentLogger, type Logger } from '../log.js';
import { writeSecretFile } from '../node/state-file.js';
import { DROP_IN_NAME, k3sCommandOf, renderDropIn, type DropInParams, type K3sRole } from './k3s-config.js';
import { readK3sTokens, type K3sTokens } from './k3s-token.js';
import { KubeChecker } from './k3s-kube-check.js';
import { pauseUnlessAborted } from '../node/pause.js';

export type K3sMode = 'systemd' | 'child';

export const K3S_DEFAULTS = {
  bin: '/usr/local/bin/k3s',
  configFile: '/etc/rancher/k3s/config.yaml',
  dataDir: '/var/lib/rancher/k3s',
  kubeconfig: '/etc/rancher/k3s/k3s.yaml',
} as const;

export const K3S_UNITS = { server: 'k3s.service', agent: 'k3s-agent.service' } as const;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}
export type CommandRunner = (cmd: string, args: string[]) => Promise<CommandResult>;

export interface K3sDriverOptions {
  mode: K3sMode;
  bin?: string;
  /** Default /etc/rancher/k3s/config.yaml; the drop-in goes to `<configFile>.d/`. */
  configFile?: string;
  /** Default /var/lib/rancher/k3s. */
  dataDir?: string;
  /** The admin kubeconfig a server writes; default /etc/rancher/k3s/k3s.yaml. */
  kubeconfig?: string;
  /** Runs systemctl (systemd mode); default execFile. */
  run?: CommandRunner;
  log: Logger;
  /** Child mode: extra arguments after nucmesh's own (tests: ports). */
  childArgs?: string[];
  /** Child mode: environment of the child (default this process's, without NOTIFY_SOCKET). */
  childEnv?: NodeJS.ProcessEnv;
  /** How often waitReady looks (default 1000 ms). */
  pollMs?: number;
}

export interface K3sDriver {
  readonly mode: K3sMode;
  /** Whether the k3s executable is there; false: the node reports k3s-missing. */
  available(): Promise<boolean>;
  /** Writes the drop-in for the role (0600, atomic); returns its path. */
  configure(params: DropInParams): Promise<string>;
  start(role: K3sRole): Promise<void>;
  /** Stops k3s (both units, or the child). */
  stop(): Promise<void>;
  /** What the agent calls when it stops: child mode stops the child, systemd mode leaves k3s running. */
  close(): Promise<void>;
  /** Resolves once k3s is ready for the role and the node `nodeName` is Ready; E_K3S_NOT_READY on abort. */
  waitReady(role: K3sRole, nodeName: string, signal: AbortSignal): Promise<void>;
  /** Stops k3s and removes its cluster state (for reset --rejoin); keeps the airgap images. */
  wipe(): Promise<void>;
  /** The join tokens of this server (server/token, server/agent-token), full K10 form. */
  tokens(): Promise<K3sTokens>;
  /** The drop-in's path. */
  readonly dropInFile: string;
  /** The kubeconfig this node uses for the role: the admin one on servers, the kubelet's on agents. */
  kubeconfigFor(role: K3sRole): string;
  /** Makes the (Ready) Node carry `labels` (k3s-labels.ts); E_K3S_LABELS naming why when it cannot. */
  ensureLabels(role: K3sRole, nodeName: string, labels: Readonly<Record<string, string>>): Promise<void>;
}

const RESTART_BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];
/** A child that ran this long before exiting starts again from the first backoff step. */
const STABLE_RUN_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export function defaultRunner(cmd: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === 127 ? err.message : '') });
    });
  });
}

export function createK3sDriver(o: K3sDriverOptions): K3sDriver {
  const bin = o.bin ?? K3S_DEFAULTS.bin;
  const configFile = o.configFile ?? K3S_DEFAULTS.configFile;
  const dataDir = o.dataDir ?? K3S_DEFAULTS.dataDir;
  const adminKubeconfig = o.kubeconfig ?? K3S_DEFAULTS.kubeconfig;
  const run = o.run ?? defaultRunner;
  const log = o.log;
  const pollMs = o.pollMs ?? 1000;
  const dropInFile = path.join(`${configFile}.d`, DROP_IN_NAME);
  let child: ChildSupervisor | undefined;

  async function systemctl(...args: string[]): Promise<CommandResult> {
    const r = await run('systemctl', args);
    if (r.code !== 0) {
      const message = `systemctl ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`;
      throw new NucmeshError('E_K3S_START', message, { data: { args, code: r.code } });
    }
    return r;
  }

  const driver: K3sDriver = {
    mode: o.mode,
    dropInFile,
    async ensureLabels(role, nodeName, labels) {
      const checker = new KubeChecker();
      try {
        const why = await checker.check({ kubeconfig: driver.kubeconfigFor(role), nodeName, readyz: false, labels });
        if (why !== undefined)
          throw new NucmeshError('E_K3S_LABELS', `cannot set the labels of node ${nodeName}: ${why}`, {
            data: { nodeName },
          });
      } finally {
        await checker.close();
      }
    },
    kubeconfigFor: (role) =>
      k3sCommandOf(role) === 'server' ? adminKubeconfig : path.join(dataDir, 'agent', 'kubelet.kubeconfig'),
    async available() {
      try {
        await fs.access(bin, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    async configure(params) {
      const text = renderDropIn(params);
      try {
        // The drop-in holds the token (0600); its directory stays readable like k3s' own (0755).
        await fs.mkdir(path.dirname(dropInFile), { recursive: true, mode: 0o755 });
        await writeSecretFile(dropInFile, text);
      } catch (e) {
        const message = `cannot write the k3s drop-in ${dropInFile}: ${errorMessage(e)}`;
        throw new NucmeshError('E_K3S_CONFIG', message, { data: { file: dropInFile }, cause: e });
      }
      log.info({ file: dropInFile, role: params.role }, 'k3s config drop-in written');
      return dropInFile;
    },
    async start(role) {
      if (!(await driver.available()))
        throw new NucmeshError('E_K3S_MISSING', `k3s is not installed: ${bin} is missing or not executable`, {
          data: { bin },
        });
      const command = k3sCommandOf(role);
      if (o.mode === 'systemd') {
        const other = command === 'server' ? K3S_UNITS.agent : K3S_UNITS.server;
        await run('systemctl', ['disable', '--now', other]);
        await systemctl('enable', '--now', '--no-block', K3S_UNITS[command]);
        log.info({ unit: K3S_UNITS[command] }, 'k3s unit enabled and started');
        return;
      }
      if (child) await child.stop();
      const args = [command, '--config', configFile, '--data-dir', dataDir];
      if (command === 'server') args.push('--write-kubeconfig', adminKubeconfig);
      args.push(...(o.childArgs ?? []));
      const env = { ...(o.childEnv ?? process.env) };
      delete env['NOTIFY_SOCKET'];
      child = new ChildSupervisor(bin, args, env, log);
      child.start();
    },
    async stop() {
      if (o.mode === 'systemd') {
        await systemctl('stop', K3S_UNITS.server, K3S_UNITS.agent);
        return;
      }
      await child?.stop();
      child = undefined;
    },
    async close() {
      if (o.mode === 'child') await driver.stop();
    },
    async waitReady(role, nodeName, signal) {
      const command = k3sCommandOf(role);
      const kubeconfig = driver.kubeconfigFor(role);
      const checker = new KubeChecker();
      let last = 'not started';
      let lastLogged = 0;
      try {
        for (;;) {
          if (signal.aborted)
            throw new NucmeshError('E_K3S_NOT_READY', `k3s (${command}) did not become ready: ${last}`, {
              data: { role, nodeName, last },
            });
          const now = Date.now();
          try {
            const reason =
              (await processReadiness(command, kubeconfig)) ??
              (await checker.check({ kubeconfig, nodeName, readyz: command === 'server' }));
            if (reason === undefined) {
              log.info({ role, nodeName }, 'k3s ready: node Ready');
              return;
            }
            last = reason;
          } catch (e) {
            last = errorMessage(e);
          }
          if (now - lastLogged > 15_000) {
            log.info({ role, nodeName, waitingFor: last }, 'waiting for k3s to become ready');
            lastLogged = now;
          }
          await pauseUnlessAborted(pollMs, signal);
        }
      } finally {
        await checker.close();
      }
    },
    async wipe() {
      await driver
        .stop()
        .catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'stopping k3s before the wipe failed'));
      // What k3s-uninstall.sh removes of the data dir, less agent/images (the airgap images of the image).
      await fs.rm(path.join(dataDir, 'server'), { recursive: true, force: true });
      const agentDir = path.join(dataDir, 'agent');
      const entries = await fs.readdir(agentDir).catch(() => [] as string[]);
      for (const e of entries)
        if (e !== 'images') await fs.rm(path.join(agentDir, e), { recursive: true, force: true });
      await fs.rm(adminKubeconfig, { force: true });
      await fs.rm(dropInFile, { force: true });
      log.info({ dataDir }, 'k3s state wiped (server/, agent/ but its images, kubeconfig, drop-in)');
    },
    tokens: () => readK3sTokens(dataDir),
  };

  /** The unit (systemd) or process (child) and the kubeconfig: undefined when there, else what is missing. */
  async function processReadiness(command: 'server' | 'agent', kubeconfig: string): Promise<string | undefined> {
    if (o.mode === 'systemd') {
      const unit = K3S_UNITS[command];
      const r = await run('systemctl', ['is-active', unit]);
      const state = r.stdout.trim();
      if (state !== 'active') return `${unit} is ${state || 'not active'} (it turns active when k3s reports READY)`;
    } else if (!child?.running) return 'the k3s process is not running';
    try {
      await fs.access(kubeconfig);
    } catch {
      return `${kubeconfig} does not exist yet`;
    }
    return undefined;
  }

  return driver;
}

/** k3s as a child process: restarted with backoff when it exits, its lines logged, stopped by its PID. */
class ChildSupervisor {
  #proc: ChildProcess | undefined;
  #stopping = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #bin: string;
  readonly #args: string[];
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: Logger;

  constructor(bin: string, args: string[], env: NodeJS.ProcessEnv, log: Logger) {
    this.#bin = bin;
    this.#args = args;
    this.#env = env;
    this.#log = componentLogger(log, 'k3s.child');
  }

  get running(): boolean {
    return this.#proc !== undefined && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  start(): void {
    const started = Date.now();
    const proc = spawn(this.#bin, this.#args, { env: this.#env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc = proc;
    this.#log.info({ pid: proc.pid, args: this.#args }, 'k3s started as a child process');
    for (const stream of [proc.stdout, proc.stderr])
      createInterface({ input: stream }).on('line', (line) => this.#log.info(line));
    proc.on('error', (e) => this.#log.error({ err: e.message }, 'k3s could not be run'));
    proc.on('close', (code, signal) => {
      if (this.#proc !== proc) return;
      this.#proc = undefined;
      if (this.#stopping) return;
      if (Date.now() - started > STABLE_RUN_MS) this.#attempt = 0;
      const delay = RESTART_BACKOFF_MS[Math.min(this.#attempt++, RESTART_BACKOFF_MS.length - 1)] as number;
      this.#log.warn({ code, signal, restartInMs: delay }, 'k3s exited; restarting it');
      this.#timer = setTimeout(() => this.start(), delay);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    process.kill(proc.pid, 'SIGTERM');
    const killer = setTimeout(() => {
      if (proc.pid !== undefined && proc.exitCode === null) process.kill(proc.pid, 'SIGKILL');
    }, STOP_GRACE_MS);
    await closed;
    clearTimeout(killer);
    this.#log.info({ pid: proc.pid }, 'k3s child stopped');
  }
}
