/**
 * Secret redaction. Every secret value the configuration loader resolves (a field the config schema marks
 * secret, or anything produced by `secret()` / `file()` in a secret field) is registered here, and every
 * line a Tapline program writes to stderr passes through `redact`. Registration is process-wide on purpose:
 * a secret must not leak through some code path that forgot to carry a redactor along.
 */

const MASK = '********';
/** Shorter values would mask ordinary words all over the log; they are still never printed by us. */
const MIN_SECRET_LENGTH = 3;

const secrets = new Set<string>();
let pattern: RegExp | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Register a secret value; its plain, JSON-escaped and URL-encoded forms are all masked from now on. */
export function registerSecret(value: unknown): void {
  if (typeof value !== 'string' && typeof value !== 'number') return;
  const text = String(value);
  if (text.length < MIN_SECRET_LENGTH) return;
  const forms = [text, JSON.stringify(text).slice(1, -1), encodeURIComponent(text)];
  let added = false;
  for (const form of forms) {
    if (!secrets.has(form)) {
      secrets.add(form);
      added = true;
    }
  }
  if (added) pattern = undefined;
}

/** Replace every registered secret in `text` with a mask. */
export function redact(text: string): string {
  if (secrets.size === 0) return text;
  if (pattern === undefined) {
    // Longest first, so a secret that contains another is masked whole.
    const alternatives = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
    pattern = new RegExp(alternatives.join('|'), 'g');
  }
  return text.replace(pattern, MASK);
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  secrets.clear();
  pattern = undefined;
}
