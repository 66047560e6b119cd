/** Where things are, seen from the compiled tests in dist/test/. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder with package.json). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Third-party hardware captures, read in place from ../shared/fixtures (never copied into the repo);
 * $NUCMESH_SHARED_FIXTURES names another place (a worktree that is not beside shared/).
 */
export const sharedFixturesDir = path.resolve(
  process.env['NUCMESH_SHARED_FIXTURES'] ?? path.join(repoRoot, '../shared/fixtures'),
);
export const hardwareFixturesDir = path.join(sharedFixturesDir, 'hardware');

/** Skip reason when the shared fixtures are absent, or false when they are there. */
export function sharedFixturesMissing(): string | false {
  return existsSync(hardwareFixturesDir)
    ? false
    : `shared fixtures absent: ${hardwareFixturesDir} does not exist, so the real-machine tests are skipped`;
}

/** Our own small fixtures, for formats the shared captures lack. */
export const ownFixturesDir = path.join(repoRoot, 'test/fixtures');

/** The built CLI. */
export const cliPath = path.join(repoRoot, 'dist/src/cli/bin.js');
