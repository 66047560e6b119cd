/**
 * sd_notify READY=1, as k3s sends it through go-systemd's daemon.SdNotify once it is up
 * (pkg/cli/server/server.go: after the API server and etcd are ready; pkg/cli/agent: once the agent's
 * Node is registered). Node has no AF_UNIX datagram sockets, so the message goes through
 * systemd-notify with --pid set to this process: systemd-notify (run as root) sends it with this
 * PID in its credentials, which is what the unit's default NotifyAccess=main accepts from the main process.
 * Without NOTIFY_SOCKET (child mode) nothing is sent, as SdNotify does.
 */
import { execFile } from 'node:child_process';
import { log } from './log.js';

export function notifyReady(): void {
  if (!process.env['NOTIFY_SOCKET']) return;
  execFile('systemd-notify', [`--pid=${process.pid}`, '--ready', '--no-block'], (err) => {
    if (err) log.warn(`Failed to notify systemd: ${err.message}`);
  });
}
