/** Secret redaction: what must never reach a message, a cache line or a trace. */

/** A URL with any credentials (user:password@) blanked. */
export function redactUrl(u: string): string {
  return u.replace(/\/\/[^/@]*@/, '//[redacted]@');
}
