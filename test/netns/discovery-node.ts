/**
 * A discovery node with an explicit identity, for the netns tests and the benchmark:
 *   node discovery-node.js FLEET DATADIR NODEID HOSTNAME [IFACE...]
 * Logs JSON lines on stdout. stdin commands: `state NAME [CLUSTER]` changes the state;
 * `peers` prints {"peers":[...]} on one line. SIGTERM stops cleanly (goodbyes).
 */
import { createInterface } from 'node:readline';
import { loadFleetConfig } from '../../src/config/fleet.js';
import { createLogger } from '../../src/log.js';
import { NodeState, isNodeState } from '../../src/node/node-state.js';
import { startNodeDiscovery } from '../../src/agent/node-discovery.js';

const [fleetFile, dataDir, nodeId, hostname, ...ifaces] = process.argv.slice(2);
if (!fleetFile || !dataDir || !nodeId || !hostname) {
  console.error('usage: discovery-node FLEET DATADIR NODEID HOSTNAME [IFACE...]');
  process.exit(2);
}
const log = createLogger({ format: 'json', level: (process.env['NUCMESH_LOG_LEVEL'] as 'info' | undefined) ?? 'info' });
const { config } = await loadFleetConfig(fleetFile);
const state = new NodeState();
const node = await startNodeDiscovery({
  config,
  nodeId,
  hostname,
  dataDir,
  interfaces: ifaces,
  state,
  log,
  version: 'test',
});
state.set({ state: 'forming' });
log.info({ event: 'ready' }, 'discovery node ready');

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'state' && a && isNodeState(a)) state.set({ state: a, clusterId: b ?? '' });
  if (cmd === 'peers')
    process.stdout.write(
      JSON.stringify({
        peers: node.discovery.table.list(),
        counters: node.discovery.table.counters,
        packets: node.discovery.browser.counters,
        probes: { sent: node.discovery.liveness.probesSent, failed: node.discovery.liveness.probesFailed },
        keptAfterExpiry: node.discovery.table.keptAfterExpiry,
      }) + '\n',
    );
});
process.once('SIGTERM', () => {
  void node.stop().then(() => {
    log.info({ event: 'stopped' }, 'stopped');
    process.exit(0);
  });
});
