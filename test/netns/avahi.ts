/**
 * avahi-daemon as an independent mDNS peer inside a lab host: a private system D-Bus (its
 * own socket, allow-all policy) and avahi-daemon on eth0 only. avahi keeps a fixed pid file,
 * so only one can run at a time on the machine: `avahiUnavailable()` says when it cannot.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor, type NetnsLab, type Spawned } from './harness.js';

const PID_FILE = '/run/avahi-daemon/pid';

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The PID of a live avahi-daemon named by its pid file, or undefined. A pid file whose PID is
 * gone or is now another program (a killed earlier run, its PID reused) is removed: avahi-daemon
 * would otherwise refuse to start, taking that other process for itself.
 */
function runningAvahiPid(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  let comm = '';
  try {
    comm = pid > 0 ? readFileSync(`/proc/${pid}/comm`, 'utf8').trim() : '';
  } catch {
    // gone
  }
  if (comm === 'avahi-daemon') return pid;
  rmSync(PID_FILE, { force: true });
  return undefined;
}

/** Skip reason, or false when avahi can be started now. */
export function avahiUnavailable(): string | false {
  for (const c of ['avahi-daemon', 'avahi-browse', 'avahi-publish', 'dbus-daemon'])
    if (!which(c)) return `${c} is not installed (scripts/install-host-deps.sh test installs it)`;
  const running = runningAvahiPid();
  if (running !== undefined) return `another avahi-daemon (pid ${running}) is running; only one can run at a time`;
  return false;
}

export interface Avahi {
  env: NodeJS.ProcessEnv;
  daemon: Spawned;
}

export async function startAvahi(lab: NetnsLab, host: string): Promise<Avahi> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-avahi-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const sock = path.join(dir, 'bus.sock');
  writeFileSync(
    path.join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`,
  );
  writeFileSync(
    path.join(dir, 'avahi.conf'),
    `[server]
host-name=avahi-lab
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-workstation=no
publish-hinfo=no
[reflector]
[rlimits]
`,
  );
  const env = { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${sock}` };
  lab.spawn(host, 'dbus-daemon', ['--config-file', path.join(dir, 'bus.conf'), '--nofork', '--nopidfile']);
  await waitFor('the private D-Bus socket', () => existsSync(sock), 5000);
  const other = runningAvahiPid(); // also clears a stale pid file, just before the start
  if (other !== undefined) throw new Error(`another avahi-daemon (pid ${other}) is running`);
  const daemon = lab.spawn(
    host,
    'avahi-daemon',
    ['-f', path.join(dir, 'avahi.conf'), '--no-chroot', '--no-drop-root', '--no-rlimits'],
    env,
  );
  await waitFor(
    `avahi-daemon to start (${daemon.stderr().slice(-200)})`,
    () =>
      /Server startup complete/.test(daemon.stderr() + daemon.stdout()) ||
      (daemon.child.exitCode !== null
        ? Promise.reject(new Error(`avahi-daemon exited: ${daemon.stderr()}`))
        : undefined),
    15_000,
    100,
  );
  return { env, daemon };
}
