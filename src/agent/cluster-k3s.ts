/** The cluster steps' k3s port on the k3s driver (src/cluster/k3s-driver.ts) and the label writer. */
import type { FleetConfig } from '../config/fleet.js';
import type { K3sDriver } from '../cluster/k3s-driver.js';
import type { K3sPort } from '../cluster/ports.js';

export function k3sPort(driver: K3sDriver, config: Readonly<FleetConfig>): K3sPort {
  return {
    available: () => driver.available(),
    async configure(c, node) {
      const secrets =
        c.role === 'seed' ? { token: c.token, agentToken: c.agentToken } : { serverUrl: c.serverUrl, token: c.token };
      await driver.configure({
        role: c.role,
        nodeName: node.nodeName,
        nodeIp: node.nodeIp,
        labels: { ...node.labels },
        tlsSans: [...node.tlsSans],
        ...secrets,
        fleet: config.k3s,
      });
    },
    start: (role) => driver.start(role),
    waitReady: (role, nodeName, signal) => driver.waitReady(role, nodeName, signal),
    ensureLabels: (role, nodeName, labels) => driver.ensureLabels(role, nodeName, labels),
    stop: () => driver.stop(),
    wipe: () => driver.wipe(),
  };
}
