/**
 * A small probe for the guest, handed in through fw_cfg and started with systemd.run
 * (direct-kernel boots only; the image itself is not changed). It prints on the serial
 * console, every 10 s, whether nucmesh.service is active, how often systemd restarted it,
 * its resident memory and its status text (sd_notify STATUS=); and it says hello to all nodes on the L2 segment (IPv6
 * link-local multicast), answering each hello by unicast, to show that nodes reach each other.
 * Given a fleet config (fw_cfg `opt/nucmesh/fleet`), it plays the technician of a node whose
 * ESP has none: once the agent's health route has said `no-fleet-config` three times in a row
 * (≥ 4 s, so the banner showed it), it copies the file onto the ESP and says so.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** Runs inside the guest (CommonJS, the guest's Node). Stops after fifteen minutes. */
const PROBE = `
const dgram = require('node:dgram'), os = require('node:os'), fs = require('node:fs'), cp = require('node:child_process');
const say = (s) => fs.appendFileSync('/dev/ttyS0', 'probe: ' + s + '\\r\\n');
const iface = () => Object.entries(os.networkInterfaces()).find(([n, a]) => n !== 'lo' && a.some((x) => x.family === 'IPv6' && x.address.startsWith('fe80')))?.[0];
const sock = dgram.createSocket({ type: 'udp6', reuseAddr: true });
sock.on('message', (msg, r) => {
  const [kind, from] = msg.toString().split(' ');
  if (from === os.hostname()) return;
  if (kind === 'hello') { say('hello from ' + from + ' ' + r.address); sock.send('ack ' + os.hostname(), r.port, r.address); }
  if (kind === 'ack') say('ack from ' + from + ' ' + r.address);
});
let n = 0;
const status = () => {
  try {
    const show = (p) => cp.execSync('systemctl show -P ' + p + ' nucmesh.service').toString().trim();
    const pid = show('MainPID');
    const kb = pid !== '0' ? /VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8')) : null;
    say('status ' + (n++) + ' active=' + show('ActiveState') + ' restarts=' + show('NRestarts') + ' rss_kb=' + (kb ? kb[1] : 0) + ' text=' + show('StatusText'));
  } catch (e) { say('status error ' + e.message); }
};
const fleetSrc = '/sys/firmware/qemu_fw_cfg/by_name/opt/nucmesh/fleet/raw';
let fleetTimer;
if (fs.existsSync(fleetSrc)) {
  let seen = 0;
  fleetTimer = setInterval(async () => {
    try {
      const h = await (await fetch('http://127.0.0.1:8443/v1/health')).json();
      seen = h.state === 'no-fleet-config' ? seen + 1 : 0;
      if (seen < 3) return;
      clearInterval(fleetTimer);
      fs.mkdirSync('/boot/efi/nucmesh', { recursive: true });
      fs.writeFileSync('/boot/efi/nucmesh/fleet.yaml', fs.readFileSync(fleetSrc), { mode: 0o600 });
      say('fleet config copied to /boot/efi/nucmesh/fleet.yaml');
    } catch (e) {}
  }, 2000);
}
sock.bind(7999, () => {
  const hello = setInterval(() => { const i = iface(); if (i) sock.send('hello ' + os.hostname(), 7999, 'ff02::1%' + i); }, 2000);
  const stat = setInterval(status, 10000);
  setTimeout(() => { clearInterval(hello); clearInterval(stat); clearInterval(fleetTimer); sock.close(); }, 900000);
});
`;

export const PROBE_FW_CFG_NAME = 'opt/nucmesh/probe';
export const FLEET_FW_CFG_NAME = 'opt/nucmesh/fleet';

/** Kernel command line that starts the probe and still boots to multi-user.target. */
export const PROBE_APPEND = [
  `systemd.run="/bin/sh -c 'systemctl start --no-block multi-user.target; modprobe qemu_fw_cfg; sleep 1; cat /sys/firmware/qemu_fw_cfg/by_name/${PROBE_FW_CFG_NAME}/raw > /run/probe.js && exec node /run/probe.js'"`,
  'systemd.run_success_action=none',
  'systemd.run_failure_action=none',
].join(' ');

/** Writes the probe into `dir`; returns what Vm.start needs. With `fleetFile`, the probe delivers it (see above). */
export function probeFiles(
  dir: string,
  fleetFile?: string,
): { append: string; fwCfg: { name: string; file: string }[] } {
  const file = path.join(dir, 'probe.js');
  writeFileSync(file, PROBE);
  const fwCfg = [{ name: PROBE_FW_CFG_NAME, file }];
  if (fleetFile) fwCfg.push({ name: FLEET_FW_CFG_NAME, file: fleetFile });
  return { append: PROBE_APPEND, fwCfg };
}

export interface ProbeStatus {
  seq: number;
  active: string;
  restarts: number;
  rssKb: number;
  /** The service's status text (what the agent last sent with STATUS=). */
  text: string;
}

export function probeStatuses(consoleText: string): ProbeStatus[] {
  return [
    ...consoleText.matchAll(/probe: status (\d+) active=(\S+) restarts=(\d+) rss_kb=(\d+)(?: text=([^\r\n]*))?/g),
  ].map((m) => ({
    seq: Number(m[1]),
    active: m[2] as string,
    restarts: Number(m[3]),
    rssKb: Number(m[4]),
    text: m[5] ?? '',
  }));
}
