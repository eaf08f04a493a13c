import { readFileSync } from 'node:fs';
import { normalizeUsername } from './username.js';

/**
 * Long rather than complex (NIST SP 800-63B): at least 12 characters, not built from the username, not
 * one of the passwords attackers try first (a list shipped in this folder, common-passwords.txt), and not
 * a single character or a short pattern repeated. Returns what is wrong, in words for the person choosing.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

const COMMON: ReadonlySet<string> = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter((l) => l.length > 0 && !l.startsWith('#')),
);

export function commonPasswordCount(): number {
  return COMMON.size;
}

export function passwordProblem(password: string, username?: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `at most ${MAX_PASSWORD_LENGTH} characters`;
  const folded = password.normalize('NFKC').toLowerCase();
  if (new Set(folded).size < 5) return 'too few different characters; use a passphrase of several words';
  // "abcabcabcabc", "passwordpassword": a short unit repeated.
  if (/^(.{1,6})\1+$/su.test(folded)) return 'a short pattern repeated; use a passphrase of several words';
  if (isCommon(folded)) return 'one of the most common passwords; choose something less guessable';
  if (username) {
    const name = normalizeUsername(username);
    if (name.length > 0) {
      const rest = folded.split(name).join('');
      const reversed = [...name].reverse().join('');
      if (rest.length < 8 || folded.split(reversed).join('').length < 8) return 'too close to the username';
    }
  }
  return undefined;
}

/** Listed, or a listed word padded with digits/symbols ("password123!"), or one doubled ("qwertyqwerty"). */
function isCommon(folded: string): boolean {
  if (COMMON.has(folded)) return true;
  const core = folded.replace(/^[\d\W_]+|[\d\W_]+$/gu, '');
  if (core.length >= 4 && COMMON.has(core)) return true;
  const half = folded.length / 2;
  return Number.isInteger(half) && folded.slice(0, half) === folded.slice(half) && COMMON.has(folded.slice(0, half));
}
