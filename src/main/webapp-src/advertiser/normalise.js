// The server's normalisation rules (docs/identifiers.md), in the browser: the page hashes exactly what
// be.audiencematch.identity.IdentifierNormalizer (and so `bin/audience-match hash`) hashes. The shared table
// src/test/resources/normalisation-cases.json checks both.
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';

// Java's String.strip() removes what Character.isWhitespace calls white space: Unicode space separators except the
// non-breaking ones (U+00A0, U+2007, U+202F), line and paragraph separators, and the ASCII controls \t \n \v \f \r and
// U+001C..U+001F. JavaScript's trim() differs (it removes U+00A0 and U+FEFF), so it is not used.
const JAVA_WHITE_SPACE = /^[\t\n\u000B\f\r\u001C-\u001F \u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000]+|[\t\n\u000B\f\r\u001C-\u001F \u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000]+$/g;

export function javaStrip(value) {
  return value.replace(JAVA_WHITE_SPACE, '');
}

/** Trimmed and lower-cased; null when it is not an e-mail address (no '@' inside). */
export function normaliseEmail(email) {
  const value = javaStrip(String(email)).toLowerCase();
  const at = value.indexOf('@');
  if (value.length === 0 || at <= 0 || at === value.length - 1) {
    return null;
  }
  return value;
}

/** E.164 with the leading '+', national numbers read in `country`; null when it is not a possible number. */
export function normalisePhone(phone, country) {
  try {
    const parsed = parsePhoneNumberWithError(javaStrip(String(phone)), { defaultCountry: country });
    return parsed.isPossible() ? parsed.number : null;
  } catch {
    return null;
  }
}

export function normalise(type, value, country) {
  return type === 'email' ? normaliseEmail(value) : normalisePhone(value, country);
}

const encoder = new TextEncoder();

/** SHA-256 of the normalised value (UTF-8), as 64 lower-case hex characters: what the service accepts. */
export async function sha256Hex(normalised) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(normalised)));
  let hex = '';
  for (const byte of digest) {
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}
