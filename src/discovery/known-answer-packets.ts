/**
 * RFC 6762 §7.2, multipacket known-answer suppression: a query whose known-answer list does
 * not fit in one packet goes out as several, each within the interface MTU, with the TC
 * (truncated) bit set on all but the last; the questions travel in the first. Without this,
 * a 50-node fleet's PTR query (49 known answers, ≈ 3 KB) left as IP fragments, and losing any
 * fragment lost the whole query. Pure.
 */
import dnsPacket, { type Answer, type Packet, type Question } from 'dns-packet';

/** UDP payload that fits a 1500-byte Ethernet MTU with IPv6 and UDP headers. */
export const MAX_QUERY_BYTES = 1440;

export function knownAnswerQueries(
  questions: Question[],
  answers: Answer[],
  additionals: Answer[] = [],
  maxBytes = MAX_QUERY_BYTES,
): Packet[] {
  const packets: Packet[] = [];
  let current: Packet = { type: 'query', id: 0, flags: 0, questions, answers: [], additionals };
  for (const a of answers) {
    const list = current.answers as Answer[];
    list.push(a);
    if (list.length > 1 && dnsPacket.encodingLength(current) > maxBytes) {
      list.pop();
      current.flags = dnsPacket.TRUNCATED_RESPONSE;
      packets.push(current);
      current = { type: 'query', id: 0, flags: 0, questions: [], answers: [a], additionals: [] };
    }
  }
  packets.push(current);
  return packets;
}
