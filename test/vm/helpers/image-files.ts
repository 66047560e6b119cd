/**
 * Reads files inside a built image without mounting it: sfdisk for the table, debugfs and mtools
 * for the file systems.
 */
import { execFileSync } from 'node:child_process';

export interface Partition {
  start: number;
  size: number;
  type: string;
  name?: string;
  uuid?: string;
}

export function partitions(img: string): Partition[] {
  const j = JSON.parse(execFileSync('sfdisk', ['-J', img], { encoding: 'utf8' })) as {
    partitiontable: { partitions: Partition[] };
  };
  return j.partitiontable.partitions;
}

function rootSpec(img: string): string {
  const root = partitions(img).find((p) => p.name === 'nucmesh-root');
  if (!root) throw new Error(`${img} has no nucmesh-root partition`);
  return `${img}?offset=${root.start * 512}`;
}

/** debugfs output of one command on the root file system. */
export function debugfs(img: string, command: string): string {
  return execFileSync('debugfs', ['-R', command, rootSpec(img)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** A file's bytes from the root file system, or null when it is not there. */
export function readRootFile(img: string, file: string): Buffer | null {
  const out = execFileSync('debugfs', ['-R', `cat ${file}`, rootSpec(img)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
  });
  return out.length === 0 && !debugfs(img, `stat ${file}`).includes('Inode:') ? null : out;
}

/** Mode bits (e.g. 0o755) of a file in the root file system, or null when absent. */
export function rootFileMode(img: string, file: string): number | null {
  const m = /Mode:\s+(\d+)/.exec(debugfs(img, `stat ${file}`));
  return m ? parseInt(m[1] as string, 8) : null;
}

/** Names in a directory of the root file system. */
export function listRootDir(img: string, dir: string): string[] {
  return debugfs(img, `ls -l ${dir}`)
    .split('\n')
    .map((l) => l.trim().split(/\s+/).at(-1) ?? '')
    .filter((n) => n && n !== '.' && n !== '..');
}

/** A file from the EFI system partition (mtools). */
export function readEspFile(img: string, file: string): string {
  const esp = partitions(img).find((p) => p.name === 'nucmesh-esp');
  if (!esp) throw new Error(`${img} has no nucmesh-esp partition`);
  return execFileSync('mtype', ['-i', `${img}@@${esp.start * 512}`, `::${file}`], {
    encoding: 'utf8',
    env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
  });
}
