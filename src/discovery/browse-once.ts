/**
 * Browse for a while and return what was found, judged against an optional fleet: the
 * engine of `nucmesh peers`. Works without the fleet key (signatures then unverified).
 */
import os from 'node:os';
import { ServiceBrowser, type ResolvedService } from './browser.js';
import { evaluateService, type FleetView } from './evaluate.js';
import { selectInterfaces, type InterfaceMap } from './interfaces.js';

export interface PeerListing {
  nodeId: string | null;
  instance: string;
  state: string | null;
  cluster: string | null;
  addresses: string[];
  port: number;
  generation: number | null;
  fleetId: string | null;
  fleetMatches: boolean;
  verified: boolean;
  /** The pin of the node's API certificate, from a verified advert only. */
  certPin?: string;
  /** What is wrong with the advert, when something is. */
  problem?: string;
}

export function listingOf(svc: ResolvedService, fleet: FleetView): PeerListing {
  const ev = evaluateService(svc, fleet);
  const a = ev.advert;
  const listing: PeerListing = {
    nodeId: a?.nodeId ?? null,
    instance: svc.instance,
    state: a?.state ?? null,
    cluster: a ? a.clusterId : null,
    addresses: [...new Set(svc.addresses.map((x) => x.address))],
    port: svc.port,
    generation: a?.generation ?? null,
    fleetId: a?.fleetId ?? null,
    fleetMatches: ev.fleetMatches,
    verified: ev.verified,
  };
  if (ev.problem) listing.problem = ev.problem;
  if (ev.verified && a?.certPin !== undefined) listing.certPin = a.certPin;
  return listing;
}

export async function browseOnce(opts: {
  seconds: number;
  fleet: FleetView;
  interfaces: string[];
  readInterfaces?: () => InterfaceMap;
}): Promise<{ peers: PeerListing[]; interfaces: string[] }> {
  const browser = new ServiceBrowser({ maxQueryIntervalMs: 4000 });
  browser.on('error', () => undefined);
  const ifaces = selectInterfaces((opts.readInterfaces ?? os.networkInterfaces)(), opts.interfaces);
  for (const i of ifaces) await browser.addInterface(i);
  browser.start();
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  const services = browser.services;
  await browser.stop();
  const peers = services.map((s) => listingOf(s, opts.fleet)).sort((a, b) => a.instance.localeCompare(b.instance));
  return { peers, interfaces: ifaces.map((i) => i.name) };
}
