/**
 * RFC 6762 §7.3, duplicate question suppression: another host's query for our question
 * does our job only when its known-answer list holds nothing we lack. Responders leave out
 * every answer listed there, so if it lists a record we do not have, that answer reaches
 * nobody who needs it and we must still ask ourselves. A browser that has just started
 * (an empty cache) therefore never lets a seasoned browser's query stand in for its own.
 */
export function foreignQueryCoversOurs(
  theirKnownAnswers: Iterable<string>,
  ourKnownAnswers: ReadonlySet<string>,
): boolean {
  for (const k of theirKnownAnswers) if (!ourKnownAnswers.has(k)) return false;
  return true;
}
