/**
 * Secrets out of text the server did not write: robot output lines and the worker's
 * own log lines. pino's `redact` covers known keys of the server's own objects; this
 * covers the secret's *value* anywhere in a line (robot code printing the token it
 * read in `sandbox: none` mode), in plain and in JSON-escaped form.
 */
export const REDACTED = '[redacted]';

export type Redactor = (text: string) => string;

export function makeRedactor(secrets: readonly string[]): Redactor {
  const needles = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    needles.add(s);
    needles.add(JSON.stringify(s).slice(1, -1));
  }
  if (needles.size === 0) return (text) => text;
  const list = [...needles].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const n of list) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  };
}
