/**
 * Starting a NUC's `nucmesh agent` (the compiled dist/src/cli) inside its namespace, detached so
 * it outlives `up`, with its log in the node's folder, and running `nucmesh` commands there.
 * The agent runs the k3s stand-in as its child (`--k3s-mode child`), with every k3s file inside
 * the node's folder, as test/netns/bootstrap.test.ts starts its agents.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { cliPath } from '../../helpers/paths.js';
import { standInBin } from '../../helpers/k3s-stand-in.js';
import type { WarehouseNode } from './state.js';

/** Where a node's k3s files go (config, data dir, the admin kubeconfig of a server). */
export function k3sPaths(nodeDir: string): { config: string; dataDir: string; kubeconfig: string } {
  const k3s = path.join(nodeDir, 'k3s');
  return {
    config: path.join(k3s, 'etc/config.yaml'),
    dataDir: path.join(k3s, 'data'),
    kubeconfig: path.join(k3s, 'etc/k3s.yaml'),
  };
}

/** The agent's command line (pure). */
export function agentArgs(node: WarehouseNode, fleetFile: string): string[] {
  const k3s = k3sPaths(node.dir);
  return [
    ...[cliPath, 'agent', '--fleet', fleetFile, '--data-dir', path.join(node.dir, 'data')],
    ...['--hardware-from', node.hardwareDir, '--interface', 'eth0'],
    ...['--k3s-mode', 'child', '--k3s-bin', standInBin],
    ...['--k3s-config', k3s.config, '--k3s-data-dir', k3s.dataDir, '--k3s-kubeconfig', k3s.kubeconfig],
  ];
}

/** The environment of the agents: ours, JSON logs, the mode's variables, and no systemd notify socket. */
export function agentEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NUCMESH_LOG_FORMAT: 'json', ...extra };
  delete env['NOTIFY_SOCKET'];
  return env;
}

/** Starts the agent of a node in its namespace; its PID (`ip netns exec` execs node in place). */
export function startAgent(node: WarehouseNode, fleetFile: string, env: NodeJS.ProcessEnv): number {
  mkdirSync(node.dir, { recursive: true });
  const out = openSync(node.log, 'a', 0o600);
  try {
    const child = spawn('ip', ['netns', 'exec', node.netns, process.execPath, ...agentArgs(node, fleetFile)], {
      detached: true,
      stdio: ['ignore', out, out],
      env,
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start the agent of ${node.name}`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** Runs `node ARGS` inside a namespace to completion; its stdout, or the reason it failed. */
export function nodeIn(
  netns: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 15_000,
): Promise<{ ok: boolean; stdout: string; why: string }> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', netns, process.execPath, ...args],
      { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ ok: !error, stdout, why: error ? (stderr.trim() || error.message).slice(0, 400) : '' }),
    );
  });
}
