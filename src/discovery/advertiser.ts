/**
 * Advertising on @homebridge/ciao: one responder per interface, named explicitly (ciao
 * ignores veth-style names when it discovers interfaces itself), so each answer carries the
 * address of the interface it leaves by, and an interface that appears later gets its own
 * responder without touching the others. ciao does the RFC 6762 probing, conflict renaming,
 * announcements and goodbyes; we re-sign the TXT record whenever the name or fields change.
 */
import ciao, { type CiaoService, type Responder } from '@homebridge/ciao';
import type { Logger } from '../log.js';
import { advertToTxt, assertAdvertEncodable, type AdvertFields } from './advert.js';
import type { DiscoveryInterface } from './interfaces.js';
import { signAdvert } from './signature.js';

export interface AdvertiserOptions {
  /** Instance name (the node's hostname). */
  instance: string;
  /** Host name for the A/AAAA records (`<hostname>.local`). */
  hostname: string;
  port: number;
  key: Buffer;
  log: Logger;
}

interface Published {
  responder: Responder;
  service: CiaoService;
  /** The instance name as ciao currently advertises it (renamed after a conflict). */
  name: string;
}

export class Advertiser {
  readonly #opts: AdvertiserOptions;
  readonly #published = new Map<string, Published>();
  #fields: AdvertFields;

  constructor(opts: AdvertiserOptions, fields: AdvertFields) {
    this.#opts = opts;
    this.#fields = fields;
  }

  get fields(): Readonly<AdvertFields> {
    return this.#fields;
  }

  get interfaces(): string[] {
    return [...this.#published.keys()];
  }

  /** Instance names currently advertised, per interface. */
  get names(): Record<string, string> {
    return Object.fromEntries([...this.#published].map(([k, p]) => [k, p.name]));
  }

  #txt(name: string): Record<string, string> {
    const txt = advertToTxt({ ...this.#fields, signature: signAdvert(this.#opts.key, name, this.#fields) });
    assertAdvertEncodable(txt);
    return txt;
  }

  async addInterface(iface: DiscoveryInterface): Promise<void> {
    if (this.#published.has(iface.name)) await this.removeInterface(iface.name, false);
    const responder = ciao.getResponder({ interface: iface.name });
    const service = responder.createService({
      name: this.#opts.instance,
      type: 'nucmesh',
      port: this.#opts.port,
      hostname: this.#opts.hostname,
      txt: this.#txt(this.#opts.instance),
      restrictedAddresses: [iface.name],
    });
    const pub: Published = { responder, service, name: this.#opts.instance };
    service.on('name-change', (name: string) => {
      this.#opts.log.warn({ iface: iface.name, name }, 'mDNS name conflict: instance renamed');
      pub.name = name;
      service.updateTxt(this.#txt(name));
    });
    this.#published.set(iface.name, pub);
    await service.advertise();
    this.#opts.log.info({ iface: iface.name, address: iface.ipv4, instance: pub.name }, 'advertising');
  }

  /** Stop advertising on one interface; `goodbye` false when the interface is already gone. */
  async removeInterface(name: string, goodbye = true): Promise<void> {
    const pub = this.#published.get(name);
    if (!pub) return;
    this.#published.delete(name);
    try {
      if (goodbye) await pub.service.end();
      await pub.service.destroy();
    } finally {
      await pub.responder.shutdown();
    }
  }

  /** New field values (state, cluster, generation): re-signed and announced as a TXT update. */
  update(fields: AdvertFields): void {
    this.#fields = fields;
    for (const pub of this.#published.values()) pub.service.updateTxt(this.#txt(pub.name));
  }

  /**
   * Send the current TXT record again, unchanged. ciao sends a TXT update once; while the seed
   * election runs, a lost update would leave peers with a stale view, so the agent repeats it.
   */
  reannounce(): void {
    for (const pub of this.#published.values()) pub.service.updateTxt(this.#txt(pub.name));
  }

  /** Goodbyes on every interface, then close the responders. */
  async stop(): Promise<void> {
    await Promise.all([...this.#published.keys()].map((n) => this.removeInterface(n)));
  }
}
