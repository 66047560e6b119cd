/**
 * Tells systemd how the node is doing (`nucmesh.service` is `Type=notify`, `NotifyAccess=all`):
 * `STATUS=` names the current step (shown by `systemctl status nucmesh`), `READY=1` once the
 * node reached its ready state (a server or agent of its cluster). Node cannot send on a unix
 * datagram socket by itself, so this runs systemd's own `systemd-notify`, which waits until the
 * service manager has taken each message (its barrier) and so is not lost when it exits.
 * Without `NOTIFY_SOCKET` (not started by systemd) it does nothing. Messages go out one at a time,
 * in order; a status that is overtaken before it is sent is dropped.
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../log.js';
import type { NodeStateSnapshot } from '../node/node-state.js';

/** The status text of a node state: `state (step)`, the cluster, and why when there is a reason. */
export function statusLine(s: Readonly<NodeStateSnapshot>): string {
  const step = s.step !== undefined ? ` (${s.step})` : '';
  const cluster = s.clusterId !== '' ? ` in ${s.clusterId}` : '';
  const why = s.detail !== undefined ? `: ${s.detail}` : '';
  return `${s.state}${step}${cluster}${why}`;
}

export interface Notifier {
  status(text: string): void;
  ready(text: string): void;
  /** Resolves once every message given so far was sent (or failed). */
  flushed(): Promise<void>;
}

export type NotifyRunner = (args: readonly string[], socket: string) => Promise<void>;

const runSystemdNotify: NotifyRunner = (args, socket) =>
  new Promise((resolve, reject) => {
    const env = { ...process.env, NOTIFY_SOCKET: socket };
    execFile('systemd-notify', [...args], { timeout: 10_000, env }, (err) => (err ? reject(err) : resolve()));
  });

export function systemdNotifier(
  env: NodeJS.ProcessEnv,
  log: Logger,
  run: NotifyRunner = runSystemdNotify,
): Notifier | undefined {
  const socket = env['NOTIFY_SOCKET'];
  if (!socket) return undefined;
  let pending: { ready: boolean; status: string } | undefined;
  let chain = Promise.resolve();
  let warned = false;
  const pump = (): void => {
    chain = chain.then(async () => {
      const next = pending;
      pending = undefined;
      if (!next) return;
      const args = [...(next.ready ? ['--ready'] : []), `--status=${next.status.slice(0, 200)}`];
      await run(args, socket).catch((err: unknown) => {
        if (!warned) log.warn({ err }, 'cannot tell systemd the node status (systemd-notify failed)');
        warned = true;
      });
    });
  };
  return {
    status(text) {
      pending = { ready: pending?.ready ?? false, status: text };
      pump();
    },
    ready(text) {
      pending = { ready: true, status: text };
      pump();
    },
    flushed: () => chain,
  };
}
