/**
 * The Redis URL as it may appear in a log line: the password replaced with `***`, the username kept (it names
 * the ACL user, which helps ops and is not a secret). Handles the password-only form `redis://:secret@host`.
 */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not parseable as a URL: blank out anything between "://" and "@" rather than risk leaking it.
    return url.replace(/(\/\/)[^/@]*@/g, '$1***@');
  }
}

/** Removes the URL's password from a free-form message (driver errors sometimes echo connection strings). */
export function scrubSecret(text: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text;
  }
  return password.length >= 3 ? text.split(password).join('***') : text;
}
