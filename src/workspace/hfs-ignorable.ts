/**
 * The code points HFS+ ignores in file names (Apple TN1150; git's `is_hfs_dotgit` skips the
 * same set): `.g\u200cit` is `.git` on a Mac that checks the tree out.
 */
const HFS_IGNORABLE_CODE_POINTS: readonly string[] = [
  ...codePoints(0x200c, 0x200f),
  ...codePoints(0x202a, 0x202e),
  ...codePoints(0x206a, 0x206f),
  0xfeff,
].map((code) => String.fromCodePoint(code));

const HFS_IGNORABLE = new RegExp(`[${HFS_IGNORABLE_CODE_POINTS.join('')}]`, 'g');

/** The name as HFS+ compares it, ignorable code points left out. */
export function withoutHfsIgnorable(name: string): string {
  return name.replace(HFS_IGNORABLE, '');
}

function codePoints(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}
