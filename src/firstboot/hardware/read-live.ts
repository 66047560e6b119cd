/**
 * Thin readers for the live machine: run each command / read each file and put its raw
 * text into RawSources under its capture file name. Absence is recorded, never thrown:
 * a missing command, a failing one, an unreadable file each become a `missing` reason.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  DMI_ID_DIR,
  DMI_ID_FIELDS,
  SOURCE_FILES,
  SYS_NET_DIR,
  TPM_DIR,
  emptySources,
  type RawSources,
} from './sources.js';

export interface LiveReadOptions {
  /** Root of the file system to read (tests point it elsewhere); default '/'. */
  root?: string;
  /** Per-command time limit. */
  timeoutMs?: number;
}

interface CommandSpec {
  file: string;
  cmd: string;
  args: string[];
  /** Debian package that provides the command, for the warning. */
  pkg: string;
  /** Output is usable even when the exit code is not 0 (systemd-detect-virt says "none" with 1). */
  acceptNonZero?: boolean;
}

const COMMANDS: CommandSpec[] = [
  { file: SOURCE_FILES.dmidecode, cmd: 'dmidecode', args: [], pkg: 'dmidecode' },
  { file: SOURCE_FILES.lscpu, cmd: 'lscpu', args: [], pkg: 'util-linux' },
  { file: SOURCE_FILES.lsblk, cmd: 'lsblk', args: ['-J', '-b', '-O'], pkg: 'util-linux' },
  { file: SOURCE_FILES.ipAddr, cmd: 'ip', args: ['-j', 'addr'], pkg: 'iproute2' },
  { file: SOURCE_FILES.ipLink, cmd: 'ip', args: ['-j', 'link'], pkg: 'iproute2' },
  { file: SOURCE_FILES.lspci, cmd: 'lspci', args: ['-vvnn'], pkg: 'pciutils' },
  // Only the classes nucmesh uses: a full hwinfo probe can take many seconds on real hardware.
  {
    file: SOURCE_FILES.hwinfo,
    cmd: 'hwinfo',
    args: ['--cpu', '--disk', '--network', '--netcard', '--gfxcard'],
    pkg: 'hwinfo',
  },
  { file: SOURCE_FILES.sensors, cmd: 'sensors', args: [], pkg: 'lm-sensors' },
  { file: SOURCE_FILES.virt, cmd: 'systemd-detect-virt', args: [], pkg: 'systemd', acceptNonZero: true },
];

const FILES: { file: string; path: string }[] = [
  { file: SOURCE_FILES.cpuinfo, path: '/proc/cpuinfo' },
  { file: SOURCE_FILES.meminfo, path: '/proc/meminfo' },
  { file: SOURCE_FILES.osRelease, path: '/etc/os-release' },
  { file: SOURCE_FILES.kernel, path: '/proc/sys/kernel/osrelease' },
];

function firstLine(s: string): string {
  return (
    s
      .trim()
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim()
      .slice(0, 200) ?? ''
  );
}

export function runCommand(
  spec: CommandSpec,
  timeoutMs: number,
): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    execFile(
      spec.cmd,
      spec.args,
      { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true, text: stdout });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        if (e.code === 'ENOENT')
          return resolve({ ok: false, reason: `${spec.cmd} is not installed (Debian package ${spec.pkg})` });
        if (e.killed) return resolve({ ok: false, reason: `${spec.cmd} timed out after ${timeoutMs} ms` });
        if (spec.acceptNonZero && stdout.trim() !== '') return resolve({ ok: true, text: stdout });
        const why = firstLine(stderr) || firstLine(stdout) || e.message;
        resolve({ ok: false, reason: `${[spec.cmd, ...spec.args].join(' ')} failed (exit ${String(e.code)}): ${why}` });
      },
    );
  });
}

function errnoReason(e: unknown, p: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${p} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return `${p} is not readable (run as root)`;
  return `${p}: ${(e as Error).message}`;
}

async function readText(p: string): Promise<string> {
  return fs.readFile(p, 'utf8');
}

export async function readLiveSources(options: LiveReadOptions = {}): Promise<RawSources> {
  const root = options.root ?? '/';
  const timeoutMs = options.timeoutMs ?? 20_000;
  const at = (p: string) => path.join(root, p);
  const src = emptySources();
  const tasks: Promise<void>[] = [];

  for (const spec of COMMANDS) {
    tasks.push(
      runCommand(spec, timeoutMs).then((r) => {
        if (r.ok) src.files.set(spec.file, r.text);
        else src.missing.set(spec.file, r.reason);
      }),
    );
  }
  for (const f of FILES) {
    tasks.push(
      readText(at(f.path)).then(
        (text) => void src.files.set(f.file, text),
        (e: unknown) => void src.missing.set(f.file, errnoReason(e, f.path)),
      ),
    );
  }
  tasks.push(readDmiId(at('/sys/class/dmi/id'), src));
  tasks.push(readSysNet(at('/sys/class/net'), src));
  tasks.push(readTpm(at('/sys/class/tpm'), src));
  await Promise.all(tasks);
  return src;
}

async function readDmiId(dir: string, src: RawSources): Promise<void> {
  try {
    await fs.access(dir);
  } catch (e) {
    src.missing.set(DMI_ID_DIR, `${errnoReason(e, dir)} (no SMBIOS tables, or a container)`);
    return;
  }
  await Promise.all(
    DMI_ID_FIELDS.map(async (field) => {
      try {
        src.files.set(`${DMI_ID_DIR}/${field}`, await readText(path.join(dir, field)));
      } catch (e) {
        // Older kernels lack some fields: only unreadable ones (serials need root) are worth a warning.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          src.missing.set(`${DMI_ID_DIR}/${field}`, errnoReason(e, path.join(dir, field)));
      }
    }),
  );
}

async function readSysNet(dir: string, src: RawSources): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    src.missing.set(SYS_NET_DIR, errnoReason(e, dir));
    return;
  }
  await Promise.all(
    names.map(async (name) => {
      const base = path.join(dir, name);
      const put = (fact: string, v: string) => src.files.set(`${SYS_NET_DIR}/${name}/${fact}`, v);
      for (const fact of ['address', 'speed', 'type']) {
        try {
          put(fact, (await readText(path.join(base, fact))).trim());
        } catch {
          // speed is EINVAL while the link is down; absent is fine.
        }
      }
      try {
        put('device', await fs.readlink(path.join(base, 'device')));
      } catch {
        // no device: a software interface
      }
      try {
        put('driver', path.basename(await fs.readlink(path.join(base, 'device', 'driver'))));
      } catch {
        // no driver bound
      }
    }),
  );
}

async function readTpm(dir: string, src: RawSources): Promise<void> {
  let names: string[] = [];
  try {
    names = (await fs.readdir(dir)).filter((n) => /^tpm\d+$/.test(n)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      src.missing.set(`${TPM_DIR}/devices`, errnoReason(e, dir));
      return;
    }
  }
  src.files.set(`${TPM_DIR}/devices`, names.join('\n'));
  for (const n of names) {
    try {
      src.files.set(`${TPM_DIR}/${n}/tpm_version_major`, await readText(path.join(dir, n, 'tpm_version_major')));
    } catch {
      // kernels before 5.6 lack tpm_version_major
    }
  }
}
