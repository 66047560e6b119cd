/**
 * One mDNS socket on one interface (IPv4, 224.0.0.251:5353). Every socket bound to
 * 0.0.0.0:5353 receives the group's packets from all interfaces, so a channel keeps only
 * packets whose source is in its interface's subnet (or all of them when it is the only
 * channel). Packets are size-checked and rate-limited per source *before* decoding, and a
 * packet that does not decode is counted, never thrown.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import { inSubnet, type DiscoveryInterface } from './interfaces.js';
import type { SourceRateLimiter } from '../node/rate-limit.js';

export const MDNS_GROUP = '224.0.0.251';
export const MDNS_PORT = 5353;
/** Receive buffer asked for (the kernel doubles it for bookkeeping and caps it at rmem_max). */
export const RECV_BUFFER_BYTES = 1024 * 1024;
/** RFC 6762 §17: mDNS packets up to 9000 bytes; anything larger is dropped unread. */
export const MAX_PACKET = 9000;

export interface PacketCounters {
  sent: number;
  received: number;
  malformed: number;
  oversized: number;
  rateLimited: number;
}

export function newCounters(): PacketCounters {
  return { sent: 0, received: 0, malformed: 0, oversized: 0, rateLimited: 0 };
}

/**
 * Can the header's section counts fit in the packet at all? A question takes at least 5 bytes,
 * a record at least 11. The decoder allocates arrays of the claimed sizes, so a 12-byte packet
 * claiming 4 × 65535 entries would cost megabytes and milliseconds: refuse it up front.
 */
export function plausibleCounts(buf: Buffer): boolean {
  const qd = buf.readUInt16BE(4);
  const rr = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  return qd * 5 + rr * 11 <= buf.length - 12;
}

/** Decode a datagram, or undefined when it is not a DNS message. Never throws. */
export function decodePacket(buf: Buffer): DecodedPacket | undefined {
  if (buf.length < 12 || buf.length > MAX_PACKET || !plausibleCounts(buf)) return undefined;
  try {
    return dnsPacket.decode(buf);
  } catch {
    return undefined;
  }
}

export interface ChannelOptions {
  iface: DiscoveryInterface;
  limiter: SourceRateLimiter;
  counters: PacketCounters;
  /** False when other channels exist: then only packets from this interface's subnet are kept. */
  acceptAnySource: () => boolean;
  port?: number;
}

export class MdnsChannel extends EventEmitter<{ packet: [DecodedPacket, dgram.RemoteInfo]; error: [Error] }> {
  readonly iface: DiscoveryInterface;
  readonly #opts: ChannelOptions;
  readonly #socket: dgram.Socket;
  #closed = false;

  private constructor(opts: ChannelOptions, socket: dgram.Socket) {
    super();
    this.iface = opts.iface;
    this.#opts = opts;
    this.#socket = socket;
  }

  static async open(opts: ChannelOptions): Promise<MdnsChannel> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const ch = new MdnsChannel(opts, socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port ?? MDNS_PORT, '0.0.0.0', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.addMembership(MDNS_GROUP, opts.iface.ipv4);
      socket.setMulticastInterface(opts.iface.ipv4);
      socket.setMulticastTTL(255);
      socket.setMulticastLoopback(true);
      // Every multicast packet on the LAN lands here. With the default 208 KiB, a burst of
      // answers while the process is busy overflowed the buffer and the kernel dropped what
      // followed (measured: ~100 drops per node in a 50-node run, among them down notices).
      // The kernel caps this at net.core.rmem_max (the image raises it, see 60-nucmesh.conf).
      socket.setRecvBufferSize(RECV_BUFFER_BYTES);
    } catch (e) {
      socket.close();
      throw e;
    }
    socket.on('error', (e) => ch.emit('error', e));
    socket.on('message', (msg, rinfo) => ch.#onMessage(msg, rinfo));
    return ch;
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.#opts.acceptAnySource() && !inSubnet(this.iface, rinfo.address)) return;
    const c = this.#opts.counters;
    c.received++;
    if (msg.length > MAX_PACKET) {
      c.oversized++;
      return;
    }
    if (!this.#opts.limiter.allow(rinfo.address)) {
      c.rateLimited++;
      return;
    }
    const packet = decodePacket(msg);
    if (!packet) {
      c.malformed++;
      return;
    }
    this.emit('packet', packet, rinfo);
  }

  send(packet: Packet): void {
    if (this.#closed) return;
    let buf: Buffer;
    try {
      buf = dnsPacket.encode(packet);
    } catch (e) {
      this.emit('error', e as Error);
      return;
    }
    this.#opts.counters.sent++;
    this.#socket.send(buf, this.#opts.port ?? MDNS_PORT, MDNS_GROUP, (err) => {
      if (err && !this.#closed) this.emit('error', err);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket.dropMembership(MDNS_GROUP, this.iface.ipv4);
    } catch {
      // the interface may already be gone
    }
    this.#socket.close();
  }
}
