/**
 * `nucmesh reset --rejoin CLUSTER-ID`: the way out of a `conflict`, chosen by a person. Stops
 * k3s, removes this node's k3s state (the driver knows what that is), forgets its cluster (the
 * record and both token files) and leaves a request for the agent: join that cluster, without
 * an election. The node identity and the boot progress of the hardware steps stay.
 * Without a cluster ID (`POST /v1/actions/rejoin` may leave it out) no request is left: the node
 * decides again as a new one would (it joins the cluster in sight, or seeds one).
 */
import { rm } from 'node:fs/promises';
import { writeJsonFile } from '../node/state-file.js';
import {
  clusterRecordFile,
  joinSecretFile,
  leftFile,
  readClusterRecord,
  rejoinFile,
  seedTokensFile,
  type RejoinRequest,
} from './cluster-record.js';
import type { K3sPort } from './ports.js';

export interface RejoinOutcome {
  /** The cluster this node was in, if any. */
  left?: string;
}

export async function prepareRejoin(
  dataDir: string,
  clusterId: string | undefined,
  k3s: Pick<K3sPort, 'stop' | 'wipe'>,
): Promise<RejoinOutcome> {
  const before = await readClusterRecord(dataDir).catch(() => undefined);
  await k3s.stop();
  await k3s.wipe();
  for (const f of [clusterRecordFile(dataDir), joinSecretFile(dataDir), seedTokensFile(dataDir), leftFile(dataDir)])
    await rm(f, { force: true });
  if (clusterId === undefined) await rm(rejoinFile(dataDir), { force: true });
  else {
    const request: RejoinRequest = { version: 1, clusterId };
    await writeJsonFile(rejoinFile(dataDir), request);
  }
  return before ? { left: before.clusterId } : {};
}
