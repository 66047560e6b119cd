/**
 * GET /v1/support-bundle (admin): a .tar.gz of everything support asks for, streamed. Each
 * file is written by its maker into a private temporary directory (0700), one after another,
 * then tar reads them from there into the answer: nothing is held whole in memory. A file whose
 * maker fails is replaced by `<name>.error` saying why, so one broken part never loses the
 * rest. The directory is removed once the answer is sent or the client went away.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { errorMessage } from '../../errors.js';
import type { BundleFile } from '../deps.js';
import { AUTH_ERRORS, opsOr503, type RouteOptions } from './common.js';

/** A bundle entry's name is a relative path of plain segments (no `..`, nothing absolute). */
export function safeEntryName(name: string): boolean {
  return /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(name) && !name.split('/').some((s) => s === '..' || s === '.');
}

/** Write every file into a fresh directory below `root`; returns the directory and the names written. */
export async function stageBundle(
  files: readonly BundleFile[],
  prefix: string,
): Promise<{ dir: string; names: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-bundle-'));
  const top = path.join(dir, prefix);
  await mkdir(top, { mode: 0o700 });
  const names: string[] = [];
  for (const f of files) {
    if (!safeEntryName(f.name)) continue;
    const target = path.join(top, f.name);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    try {
      await f.write(target);
      names.push(f.name);
    } catch (e) {
      await rm(target, { recursive: true, force: true });
      await writeFile(`${target}.error`, `${errorMessage(e)}\n`, { mode: 0o600 });
      names.push(`${f.name}.error`);
    }
  }
  return { dir, names };
}

export const supportBundleRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/v1/support-bundle',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['node'],
        produces: ['application/gzip'],
        response: { 200: Type.String({ description: 'a .tar.gz, streamed' }), ...AUTH_ERRORS },
      },
    },
    async (_req, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const prefix = `nucmesh-${deps.nodeId() || 'node'}-${stamp}`;
      const { dir, names } = await stageBundle(ops.bundleFiles(), prefix);
      const cleanup = (): void => void rm(dir, { recursive: true, force: true });
      const { create: tarCreate } = await import('tar');
      const tar = tarCreate(
        { gzip: true, cwd: dir, portable: true },
        names.map((n) => `${prefix}/${n}`),
      );
      reply.raw.once('close', cleanup);
      return reply
        .type('application/gzip')
        .header('content-disposition', `attachment; filename="${prefix}.tar.gz"`)
        .send(tar);
    },
  );
};
