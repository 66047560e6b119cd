/**
 * The payload: byte ranges of the stick copied to the same offsets of the target, in large
 * sequential blocks (as `dd bs=4M` does: the write rate is the disk's), then read back and
 * compared by SHA-256 with the stick's bytes. Works on block devices and on plain files alike.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { NucmeshError } from '../errors.js';
import type { CopyRange } from './layout.js';

export const BLOCK_BYTES = 4 * 1024 * 1024;

export type OnBytes = (done: number, total: number, elapsedMs: number) => void;

const totalOf = (ranges: readonly CopyRange[]) => ranges.reduce((n, r) => n + r.length, 0);

async function readFully(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new NucmeshError('E_INSTALL_SOURCE', `unexpected end of data at byte ${position + got}`);
    got += bytesRead;
  }
}

async function writeFully(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let put = 0;
  while (put < length) {
    const { bytesWritten } = await fh.write(buf, put, length - put, position + put);
    put += bytesWritten;
  }
}

/** Copies the ranges from `src` to `dst`, then fsyncs `dst`; returns the elapsed milliseconds. */
export async function copyRanges(
  src: FileHandle,
  dst: FileHandle,
  ranges: readonly CopyRange[],
  onBytes: OnBytes = () => {},
  now: () => number = () => performance.now(),
): Promise<number> {
  const total = totalOf(ranges);
  const buf = Buffer.allocUnsafe(BLOCK_BYTES);
  const t0 = now();
  let done = 0;
  for (const r of ranges) {
    for (let off = 0; off < r.length; off += BLOCK_BYTES) {
      const n = Math.min(BLOCK_BYTES, r.length - off);
      await readFully(src, buf, n, r.offset + off);
      await writeFully(dst, buf, n, r.offset + off);
      done += n;
      onBytes(done, total, now() - t0);
    }
  }
  await dst.sync();
  return now() - t0;
}

/** SHA-256 of each range in `a` and in `b`; throws E_INSTALL_VERIFY on the first that differs. */
export async function verifyRanges(
  a: FileHandle,
  b: FileHandle,
  ranges: readonly CopyRange[],
  onBytes: OnBytes = () => {},
  now: () => number = () => performance.now(),
): Promise<{ what: string; sha256: string }[]> {
  const total = totalOf(ranges);
  const bufA = Buffer.allocUnsafe(BLOCK_BYTES);
  const bufB = Buffer.allocUnsafe(BLOCK_BYTES);
  const t0 = now();
  let done = 0;
  const sums: { what: string; sha256: string }[] = [];
  for (const r of ranges) {
    const ha = createHash('sha256');
    const hb = createHash('sha256');
    for (let off = 0; off < r.length; off += BLOCK_BYTES) {
      const n = Math.min(BLOCK_BYTES, r.length - off);
      await readFully(a, bufA, n, r.offset + off);
      await readFully(b, bufB, n, r.offset + off);
      ha.update(bufA.subarray(0, n));
      hb.update(bufB.subarray(0, n));
      done += n;
      onBytes(done, total, now() - t0);
    }
    const [sa, sb] = [ha.digest('hex'), hb.digest('hex')];
    if (sa !== sb)
      throw new NucmeshError(
        'E_INSTALL_VERIFY',
        `the ${r.what} partition read back from the target differs from the stick (sha256 ${sb} instead of ${sa})`,
        { data: { what: r.what, expected: sa, got: sb } },
      );
    sums.push({ what: r.what, sha256: sa });
  }
  return sums;
}
