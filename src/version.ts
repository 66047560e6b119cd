/** nucmesh's version, from package.json (dist/src/version.js → ../../package.json). */
import { readFileSync } from 'node:fs';

function readVersion(packageJsonUrl: URL = new URL('../../package.json', import.meta.url)): string {
  try {
    const pkg = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The package version: `nucmesh --version`, the API's health answer, the banner. */
export const PACKAGE_VERSION: string = readVersion();
