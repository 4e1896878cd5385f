/** Field names whose values are credentials whatever they look like. */
export const SECRET_FIELD = /authorization|cookie|passw(or)?d|secret|token|api[-_]?key|credential|signature/i;

// Credentials that turn up inside free text (error messages, URLs), with what replaces each.
const SECRET_TEXT: [RegExp, string][] = [
  [/\b(bearer|basic)\s+[^\s"',;]+/gi, '$1 [redacted]'],
  [/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, '[redacted]'],
  [/\bsk_(test|live)_[A-Za-z0-9]+/g, '[redacted]'],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, '[redacted]'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[redacted]@'],
];

/** The text with every credential-shaped part replaced by `[redacted]`. */
export function redactText(text: string): string {
  return SECRET_TEXT.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** A URL without its query string and credentials: both routinely carry personal data or secrets. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '[unparseable url]';
  }
}
