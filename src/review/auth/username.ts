/**
 * One spelling per person: usernames are stored NFKC-normalized and case-folded, so `ＡＤＭＩＮ` (full-width)
 * and `Admin` are the same account as `admin`. Lookalikes that survive normalization (Cyrillic `а` in
 * `аdmin`, Greek `ο`, `0` for `o`, accents) are mapped to a skeleton, and a new name whose skeleton equals an
 * existing one is refused: in an audit log or a dispatch record, `аdmin` must not pass for `admin`.
 */

export function normalizeUsername(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}

/** Letters that render like a Latin one in common UI fonts (Unicode's confusables, the part that matters here). */
const LOOKALIKE: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  ѕ: 's', і: 'i', ї: 'i', ј: 'j', ԁ: 'd', һ: 'h', ԛ: 'q', ԝ: 'w', ɡ: 'g', ӏ: 'l', ь: 'b',
  // Greek
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ϲ: 'c', ϳ: 'j', ω: 'w',
  // Digits and marks read as letters
  '0': 'o', '1': 'l', i: 'l', '|': 'l', '5': 's', $: 's',
  // Separators that look alike in a list
  '_': '.', '-': '.',
};

/** The name as it looks: normalized, accents dropped, lookalikes folded, `rn` read as `m`, `vv` as `w`. */
export function usernameSkeleton(name: string): string {
  const base = normalizeUsername(name).normalize('NFD').replace(/\p{M}/gu, '');
  // Two passes: Greek ι becomes i, which then reads as l like every other i.
  let out = base;
  for (let pass = 0; pass < 2; pass++) out = [...out].map((ch) => LOOKALIKE[ch] ?? ch).join('');
  return out.replace(/rn/g, 'm').replace(/vv/g, 'w');
}

/** The existing name the new one would be mistaken for, if any (the same name is not a lookalike of itself). */
export function confusableWith(name: string, existing: readonly string[]): string | undefined {
  const n = normalizeUsername(name);
  const s = usernameSkeleton(name);
  return existing.find((e) => normalizeUsername(e) !== n && usernameSkeleton(e) === s);
}
