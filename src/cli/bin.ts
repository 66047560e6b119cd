#!/usr/bin/env node
// The `nucmesh` executable: everything is in main.ts, so tests can call main() in-process.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
