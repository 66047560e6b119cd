/**
 * Boots the image in QEMU (TCG: KVM does not work here) for the VM tests: NUC SMBIOS
 * values of the test's choosing, the serial console captured to a file, optionally a
 * forwarded port to the API, a QMP socket for resets, `snapshot=on` so the image stays
 * untouched. Every VM is killed by the PID this harness started.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { TestImage } from './test-image.js';
import { repoRoot } from '../../helpers/paths.js';

/** The last console of each VM (by name), kept after the test for diagnosis. */
export const vmLogDir = path.join(repoRoot, '.cache/vm-logs');

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
export const OVMF_CODE_SECBOOT = '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd';
export const OVMF_VARS_MS = '/usr/share/OVMF/OVMF_VARS_4M.ms.fd';

export interface Smbios {
  manufacturer: string;
  product: string;
  serial: string;
}

export interface VmOptions {
  name: string;
  /** A directory the test owns (serial log, QMP socket, disk overlay, OVMF vars). */
  workDir: string;
  image: TestImage;
  /**
   * direct: -kernel/-initrd/-append (fast); uefi: OVMF boots the image file like a NUC;
   * secure-boot: OVMF with Secure Boot on and Microsoft's keys enrolled.
   */
  boot: 'direct' | 'uefi' | 'secure-boot';
  smbios: Smbios;
  /** Grow the disk to this size (a qcow2 overlay on the raw image), e.g. '4G'. */
  diskSize?: string;
  /** User-mode NIC (DHCP from QEMU) with the guest API port forwarded to this host port. */
  userNet?: { apiHostPort?: number; apiGuestPort?: number };
  /** A NIC on a socket-multicast L2 segment shared with other VMs. */
  l2?: { group: string; mac: string };
  /** Extra kernel command line (direct boot only). */
  append?: string;
  /** Files for the guest via fw_cfg (readable at /sys/firmware/qemu_fw_cfg/by_name/NAME/raw). */
  fwCfg?: { name: string; file: string }[];
  /** Run QEMU inside the network namespace of this PID (nsenter -n). */
  netnsPid?: number;
  memMiB?: number;
  /**
   * QEMU CPU model (-cpu), e.g. 'max': under TCG a slower guest, where udev enumerates late
   * (it made the ESP's by-label link only after systemd's 90 s device timeout).
   */
  cpu?: string;
  /** A raw disk image attached as a removable USB stick (snapshot=on: the file stays as it is). */
  usbStick?: string;
  /** A USB controller for sticks plugged in later (`plugUsbStick`). */
  usbController?: boolean;
  /**
   * The internal NVMe disk: this raw file instead of the image, written through (no snapshot),
   * so what an installer writes stays for the next start.
   */
  internalDisk?: string;
  /** Attach `usbStick` without snapshot: writes would reach the file (to prove there are none). */
  stickWritable?: boolean;
  /** OVMF variables kept in this file across starts (boot entries, BootNext), made from the template once. */
  varsFile?: string;
}

/** Removes terminal colour and cursor sequences from console text. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

export function qemuArgs(
  o: VmOptions,
  paths: { serial: string; qmp: string; disk: string; diskFormat: 'raw' | 'qcow2'; vars: string },
): string[] {
  const smbios = (s: string) => s.replace(/,/g, ',,');
  const args = [
    '-machine',
    o.boot === 'secure-boot' ? 'q35,smm=on' : 'q35',
    '-accel',
    'tcg,tb-size=64',
    '-m',
    String(o.memMiB ?? 512),
    '-smp',
    '1',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-vga',
    'none',
    '-serial',
    `file:${paths.serial}`,
    '-qmp',
    `unix:${paths.qmp},server=on,wait=off`,
    '-smbios',
    `type=1,manufacturer=${smbios(o.smbios.manufacturer)},product=${smbios(o.smbios.product)},serial=${smbios(o.smbios.serial)}`,
    '-smbios',
    `type=2,manufacturer=${smbios(o.smbios.manufacturer)},product=${smbios(o.smbios.product)},serial=${smbios(o.smbios.serial)}`,
    '-drive',
    o.internalDisk
      ? `file=${o.internalDisk},if=none,id=disk0,format=raw,cache=unsafe`
      : `file=${paths.disk},if=none,id=disk0,format=${paths.diskFormat},snapshot=on`,
    // bootindex (firmware boots only; -kernel takes index 0 itself): the internal disk first,
    // even with a stick attached.
    '-device',
    `nvme,drive=disk0,serial=nucmesh-test-disk${o.boot === 'direct' ? '' : ',bootindex=0'}`,
  ];
  if (o.cpu) args.push('-cpu', o.cpu);
  if (o.usbStick || o.usbController) args.push('-device', 'qemu-xhci,id=xhci');
  if (o.usbStick) {
    args.push(
      '-drive',
      `file=${o.usbStick},if=none,id=stick,format=raw,${o.stickWritable ? 'cache=unsafe' : 'snapshot=on'}`,
    );
    args.push('-device', `usb-storage,bus=xhci.0,drive=stick,removable=on${o.internalDisk ? ',bootindex=1' : ''}`);
  }
  if (o.boot === 'direct') {
    args.push(
      '-kernel',
      o.image.kernel,
      '-initrd',
      o.image.initrd,
      '-append',
      [o.image.cmdline, o.append ?? ''].join(' ').trim(),
    );
  } else {
    const code = o.boot === 'secure-boot' ? OVMF_CODE_SECBOOT : OVMF_CODE;
    if (o.boot === 'secure-boot') args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
    args.push(
      '-drive',
      `if=pflash,format=raw,unit=0,readonly=on,file=${code}`,
      '-drive',
      `if=pflash,format=raw,unit=1,file=${paths.vars}`,
    );
  }
  if (o.userNet) {
    const fwd = o.userNet.apiHostPort
      ? `,hostfwd=tcp:127.0.0.1:${o.userNet.apiHostPort}-:${o.userNet.apiGuestPort ?? 8443}`
      : '';
    args.push('-netdev', `user,id=u0,restrict=on${fwd}`, '-device', 'virtio-net-pci,netdev=u0');
  }
  if (o.l2)
    args.push(
      '-netdev',
      `socket,id=l2,mcast=${o.l2.group},localaddr=127.0.0.1`,
      '-device',
      `virtio-net-pci,netdev=l2,mac=${o.l2.mac}`,
    );
  for (const f of o.fwCfg ?? []) args.push('-fw_cfg', `name=${f.name},file=${f.file}`);
  return args;
}

export class Vm {
  readonly serialFile: string;
  private readonly qmpPath: string;
  private exited = false;

  private constructor(
    readonly options: VmOptions,
    private readonly child: ChildProcess,
    paths: { serial: string; qmp: string },
    private readonly stderr: () => string,
  ) {
    this.serialFile = paths.serial;
    this.qmpPath = paths.qmp;
    child.on('exit', () => (this.exited = true));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(o: VmOptions): Promise<Vm> {
    await fs.mkdir(o.workDir, { recursive: true });
    const serial = path.join(o.workDir, `${o.name}.serial.log`);
    const qmp = path.join(o.workDir, `${o.name}.qmp`);
    const vars = o.varsFile ?? path.join(o.workDir, `${o.name}.OVMF_VARS.fd`);
    await fs.writeFile(serial, '');
    await fs.rm(qmp, { force: true });
    let disk = o.image.img;
    let diskFormat: 'raw' | 'qcow2' = 'raw';
    if (o.diskSize) {
      disk = path.join(o.workDir, `${o.name}.disk.qcow2`);
      const r = spawnSync(
        'qemu-img',
        ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', o.image.img, disk, o.diskSize],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`qemu-img create failed: ${r.stderr}`);
      diskFormat = 'qcow2';
    }
    const keepVars = o.varsFile !== undefined && (await fs.stat(o.varsFile).catch(() => undefined)) !== undefined;
    if (o.boot !== 'direct' && !keepVars) await fs.copyFile(o.boot === 'secure-boot' ? OVMF_VARS_MS : OVMF_VARS, vars);
    const args = qemuArgs(o, { serial, qmp, disk, diskFormat, vars });
    const [cmd, argv] = o.netnsPid
      ? ['nsenter', ['-t', String(o.netnsPid), '-n', '--', 'qemu-system-x86_64', ...args]]
      : ['qemu-system-x86_64', args];
    const child = spawn(cmd as string, argv as string[], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return new Vm(o, child, { serial, qmp }, () => err);
  }

  /** The serial console so far, without colours. */
  console(): string {
    return stripAnsi(readFileSync(this.serialFile, 'utf8'));
  }

  /** Waits until the console, from character `from` on, matches `re`; returns the match. */
  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    let m: RegExpExecArray | null = null;
    await this.waitForCondition(() => (m = re.exec(this.console().slice(from))) !== null, timeoutMs, String(re));
    return m as unknown as RegExpExecArray;
  }

  /** Polls `ready` every 500 ms until it holds; fails with the console tail when QEMU exits or time runs out. */
  async waitForCondition(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (ready()) return;
      if (this.exited)
        throw new Error(
          `${this.options.name}: QEMU exited before ${what}. QEMU said: ${this.stderr().trim() || '(nothing)'}\n--- console tail:\n${this.console().slice(-3000)}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `${this.options.name}: ${what}: not within ${timeoutMs / 1000} s\n--- console tail:\n${this.console().slice(-3000)}`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Sends one QMP command (after the capabilities handshake). */
  async qmp(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(this.qmpPath);
      let buf = '';
      let sentCommand = false;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`QMP ${command}: no answer within 10 s`));
      }, 10_000);
      sock.on('data', (d) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
          buf = buf.slice(nl + 1);
          if ('QMP' in msg) sock.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
          else if ('return' in msg && !sentCommand) {
            sentCommand = true;
            sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
          } else if ('return' in msg || 'error' in msg) {
            clearTimeout(timer);
            sock.end();
            if ('error' in msg) reject(new Error(`QMP ${command}: ${JSON.stringify(msg['error'])}`));
            else resolve(msg['return']);
          }
        }
      });
      sock.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Plugs a raw disk image in as a USB stick while the guest runs (needs `usbController`). */
  async plugUsbStick(file: string, id = 'late'): Promise<void> {
    await this.qmp('blockdev-add', { 'node-name': `${id}-file`, driver: 'file', filename: file, 'read-only': false });
    await this.qmp('blockdev-add', { 'node-name': id, driver: 'raw', file: `${id}-file` });
    await this.qmp('device_add', { driver: 'usb-storage', bus: 'xhci.0', drive: id, id: `${id}-dev`, removable: true });
  }

  /** Hard reset (like the reset button): disk writes stay, within this QEMU process. */
  async reset(): Promise<void> {
    await this.qmp('system_reset');
  }

  /** Kills QEMU by its PID, waits for it to go, keeps its console in .cache/vm-logs/ for diagnosis. */
  async kill(): Promise<void> {
    if (!this.exited && this.child.pid !== undefined) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      process.kill(this.child.pid, 'SIGKILL');
      await gone;
    }
    await fs.mkdir(vmLogDir, { recursive: true });
    await fs.copyFile(this.serialFile, path.join(vmLogDir, `${this.options.name}.serial.log`)).catch(() => undefined);
  }
}

/** A network namespace held by `unshare -n` (lo up, multicast routed on lo); killed by PID. */
export class IsolatedNet {
  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(): Promise<IsolatedNet> {
    const child = spawn(
      'unshare',
      [
        '-n',
        '--',
        'sh',
        '-c',
        'ip link set lo up multicast on && ip route add 224.0.0.0/4 dev lo && echo ready && exec sleep 3600',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`unshare -n failed (exit ${code}): ${err}`)));
      child.once('error', reject);
    });
    return new IsolatedNet(child);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    process.kill(this.child.pid, 'SIGKILL');
    await gone;
  }
}
