/**
 * The status page in a real browser: Debian's Chromium, headless, driven by playwright-core,
 * against a running agent (in-process, the synthetic NUC capture, discovery on no real
 * interface) over HTTPS on loopback. Asserts what the page shows, that it asks for the token
 * once and keeps it for the tab only, and that it loads nothing from elsewhere; keeps a
 * screenshot in test-artifacts/status-page.png. Skipped, saying what to install, without Chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log.js';
import { newFleetConfig, renderFleetConfig } from '../../src/config/fleet.js';
import { startAgent, type AgentHandle } from '../../src/agent/agent.js';
import { ownFixturesDir, repoRoot } from '../helpers/paths.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const skip = CHROMIUM ? false : 'no Chromium: apt-get install chromium (scripts/install-host-deps.sh test installs it)';
const artifacts = path.join(repoRoot, 'test-artifacts');

let agent: AgentHandle | undefined;
let dir = '';
/** Every log line of the agent during the test. */
let logText = '';
const config = newFleetConfig('browser');

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-browser-'));
  const fleetFile = path.join(dir, 'fleet.yaml');
  writeFileSync(fleetFile, renderFleetConfig(config), { mode: 0o600 });
  const options = {
    fleetFile,
    dataDir: path.join(dir, 'data'),
    hardwareFrom: path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7'),
    interfaces: ['nm-none0'],
    apiPort: 0,
    fleetPollMs: 30,
    // No k3s: the node's sequence stops at check-k3s, the state the page must show with its reason.
    k3s: { bin: path.join(dir, 'no-k3s-here') },
  };
  const host = {
    espStatus: async () => ({ present: false }),
    mountedIsBootEsp: async () => false,
    startUnit: async () => {},
    reboot: async () => {},
  };
  const destination = { write: (line: string) => ((logText += line), true) } as unknown as NodeJS.WritableStream;
  agent = startAgent(options, createLogger({ level: 'debug', format: 'json', destination }), host);
  for (let i = 0; i < 600 && agent.state.current.state !== 'k3s-missing'; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(agent.state.current.state, 'k3s-missing');
});

after(async () => {
  await agent?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the status page shows the node, its boot steps, peers and cluster for the reader token', { skip }, async () => {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!new URL(r.url()).hostname.startsWith('127.0.0.1')) elsewhere.push(r.url());
    });
    const url = `https://127.0.0.1:${agent?.apiPort() ?? 0}/`;
    await page.goto(url);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#token', 'not-the-token-at-all-000000');
    await page.click('button[type=submit]');
    // A selector, not waitForFunction: the page's CSP forbids eval, which waitForFunction's polling uses.
    await page.waitForSelector('#login-error:has-text("refused")');

    await page.fill('#token', config.api.tokens.reader);
    await page.click('button[type=submit]');
    await page.waitForSelector('body[data-loaded=true]');
    const node = await page.textContent('#node-table');
    assert.match(node ?? '', /NUC11TNBV7|NUC11TNBi7|NUC11/, 'the model');
    assert.match(node ?? '', /Statek3s-missing/, 'the state');
    assert.match(node ?? '', /Detailthe k3s executable is not installed/, 'and why');
    assert.match(node ?? '', /Serial/);
    const boot = await page.locator('#boot-table tr').allTextContents();
    assert.ok(
      boot.some((r) => /^inventorydone/.test(r)),
      boot.join(' | '),
    );
    assert.ok(
      boot.some((r) => /^identitydone/.test(r)),
      boot.join(' | '),
    );
    assert.match((await page.textContent('#peers-table')) ?? '', /no peers seen/);
    assert.match((await page.textContent('#cluster-body')) ?? '', /k3s is not up/);

    const storage = await page.evaluate('({ session: sessionStorage.length, local: localStorage.length })');
    assert.deepEqual(storage, { session: 1, local: 0 }, 'the token is kept for the tab only');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'status-page.png'), fullPage: true });

    const other = await context.newPage();
    await other.goto(url);
    await other.waitForSelector('#login:not([hidden])');
    assert.deepEqual(elsewhere, [], 'nothing loaded from anywhere else');
    const secrets = [config.key, config.api.tokens.reader, config.api.tokens.admin];
    assert.ok(logText.includes('fleet config loaded'), 'the log was captured');
    assert.deepEqual(
      secrets.filter((x) => logText.includes(x)),
      [],
      'no secret in any log line',
    );
  } finally {
    await browser.close();
  }
});
