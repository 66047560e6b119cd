/**
 * Certificate pins: the base64url SHA-256 of a certificate's DER bytes (43 characters), as the
 * signed advert carries it (TXT key `fp`), and the TLS options that accept a server only when
 * its certificate has the pinned fingerprint (self-signed or not: the pin is the trust). Every
 * client that talks to a peer's API uses them (heartbeats, down notices, the CLI).
 */
import { createHash, X509Certificate } from 'node:crypto';
import https from 'node:https';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';

/** A pin: base64url, 43 characters. */
export const CERT_PIN = /^[A-Za-z0-9_-]{43}$/;

export function derFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

/** The pin of a PEM certificate. */
export function certFingerprint(pem: string): string {
  return derFingerprint(new X509Certificate(pem).raw);
}

/** The pin of the certificate a TLS socket's server showed, or undefined without one. */
export function peerFingerprint(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate() as PeerCertificate | undefined;
  return cert?.raw ? derFingerprint(cert.raw) : undefined;
}

/**
 * Call once a TLS connection is up: destroys it (before any request goes out) unless the
 * server's certificate has the pin. Returns whether it had.
 */
export function enforcePin(socket: TLSSocket, pin: string): boolean {
  const seen = peerFingerprint(socket);
  if (seen === pin) return true;
  const err = Object.assign(new Error(`certificate pin mismatch (expected ${pin}, got ${seen ?? 'none'})`), {
    code: 'ERR_CERT_PIN',
  });
  socket.destroy(err);
  return false;
}

/** Request options of a pinned agent: `pin` is the peer's certificate pin from its signed advert. */
export interface PinnedRequestOptions extends https.RequestOptions {
  pin: string;
}

/**
 * An HTTPS agent (keep-alive or not) whose every new connection is checked against the `pin`
 * of the request that opened it; connections are pooled per host, port and pin, so a peer
 * with a new certificate gets a new connection. A request without a pin is refused.
 */
export function createPinnedAgent(options: https.AgentOptions = {}): https.Agent {
  class PinnedAgent extends https.Agent {
    override getName(o: https.RequestOptions & { pin?: string }): string {
      return `${super.getName(o)}:${o.pin ?? ''}`;
    }
    // The socket is returned at once, so the agent's callback is not needed.
    override createConnection(o: https.RequestOptions & { pin?: string }): TLSSocket {
      const socket = tls.connect({ ...(o as tls.ConnectionOptions), rejectUnauthorized: false });
      const pin = o.pin;
      socket.once('secureConnect', () => {
        if (pin === undefined || !CERT_PIN.test(pin)) {
          socket.destroy(Object.assign(new Error('no certificate pin for this peer'), { code: 'ERR_CERT_PIN' }));
        } else enforcePin(socket, pin);
      });
      return socket;
    }
  }
  return new PinnedAgent(options);
}
