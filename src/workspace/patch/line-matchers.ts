/**
 * The ways a line of the patch may match a line of the file, strictest first. These are
 * Codex's seek_sequence passes, and deliberately no more: anything looser starts to guess.
 */
export const LINE_NORMALIZERS: readonly ((line: string) => string)[] = [
  (line) => line,
  (line) => line.trimEnd(),
  (line) => line.trim(),
  (line) => normalizePunctuation(line.trim()),
];

/** The loosest normalization: what the diagnostics compare with. */
export function normalizeLoosely(line: string): string {
  return normalizePunctuation(line.trim());
}

/**
 * Typographic punctuation to ASCII, so a patch typed with plain quotes and dashes still
 * finds a file that has curly ones (and the other way round).
 */
export function normalizePunctuation(line: string): string {
  return line.replace(PUNCTUATION, (char) => ASCII[char] ?? char);
}

const ASCII: Readonly<Record<string, string>> = {
  // Dashes and the minus sign.
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  // Single quotes.
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201B': "'",
  // Double quotes.
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u201F': '"',
  // Non-breaking and other fixed-width spaces.
  '\u00A0': ' ',
  '\u2002': ' ',
  '\u2003': ' ',
  '\u2004': ' ',
  '\u2005': ' ',
  '\u2006': ' ',
  '\u2007': ' ',
  '\u2008': ' ',
  '\u2009': ' ',
  '\u200A': ' ',
  '\u202F': ' ',
  '\u205F': ' ',
  '\u3000': ' ',
};

const PUNCTUATION = new RegExp(`[${Object.keys(ASCII).join('')}]`, 'gu');
