/**
 * The cluster layer's view of discovery: the verified peers of our fleet as ClusterPeers (an
 * IPv4 address first, the advertised API port), and a change signal for watchers.
 */
import type { DiscoveryService } from '../discovery/service.js';
import { probeAddress } from '../discovery/heartbeat-client.js';
import type { ClusterNetwork, ClusterPeer } from '../cluster/ports.js';

export function clusterNetwork(d: DiscoveryService): ClusterNetwork & { onChange(cb: () => void): () => void } {
  return {
    peers(): ClusterPeer[] {
      const out: ClusterPeer[] = [];
      for (const p of d.table.list()) {
        const address = probeAddress(p);
        if (address === undefined) continue;
        const peer: ClusterPeer = {
          nodeId: p.nodeId,
          state: p.state,
          clusterId: p.clusterId,
          address,
          apiPort: p.port,
        };
        if (p.k3sPort !== undefined) peer.k3sPort = p.k3sPort;
        if (p.supports !== undefined) peer.supports = p.supports;
        if (p.supportsIndirect) peer.supportsIndirect = true;
        if (p.certPin !== undefined) peer.certPin = p.certPin;
        out.push(peer);
      }
      return out;
    },
    onChange(cb) {
      const events = ['peer-up', 'peer-changed', 'peer-down'] as const;
      for (const e of events) d.table.on(e, cb);
      return () => {
        for (const e of events) d.table.off(e, cb);
      };
    },
  };
}
