/**
 * `partialFingerprints.primaryLocationLineHash`, computed as GitHub's codeql-action does
 * for results that lack it (its `fingerprints.ts`), so alerts match across runs the way
 * GitHub expects: a rolling hash (base 37, 64-bit wrapping) of the first 100 characters
 * from the start of each line, spaces and tabs left out, line endings normalised to \n,
 * the file's end marked with 65535 and padded with NULs. The hash depends on the text, not
 * on the line number: a line that moves keeps its hash. Identical hashes in one file are
 * told apart by a count, `hash:1`, `hash:2`, …, in file order.
 */
const BLOCK_SIZE = 100;
const MOD = 37n;
const TAB = 9;
const SPACE = 32;
const LF = 10;
const CR = 13;
const EOF_CHAR = 65535;

function int64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

const FIRST_MOD = (() => {
  let value = 1n;
  for (let i = 0; i < BLOCK_SIZE; i++) value = int64(value * MOD);
  return value;
})();

/** Every line's hash, by 1-based line number (index 0 unused). */
export function lineHashes(text: string): string[] {
  const hashes: string[] = [''];
  const window: number[] = new Array<number>(BLOCK_SIZE).fill(0);
  const lineNumbers: number[] = new Array<number>(BLOCK_SIZE).fill(-1);
  const counts = new Map<string, number>();
  let hash = 0n;
  let index = 0;
  let lineNumber = 0;
  let lineStart = true;
  let prevCR = false;

  const output = () => {
    const value = BigInt.asUintN(64, hash).toString(16);
    const count = (counts.get(value) ?? 0) + 1;
    counts.set(value, count);
    hashes[lineNumbers[index] ?? 0] = `${value}:${count}`;
    lineNumbers[index] = -1;
  };
  const update = (current: number) => {
    const begin = window[index] ?? 0;
    window[index] = current;
    hash = int64(int64(MOD * hash + BigInt(current)) - int64(FIRST_MOD * BigInt(begin)));
    index = (index + 1) % BLOCK_SIZE;
  };
  const process = (code: number) => {
    let current = code;
    if (current === SPACE || current === TAB || (prevCR && current === LF)) {
      prevCR = false;
      return;
    }
    if (current === CR) {
      current = LF;
      prevCR = true;
    } else {
      prevCR = false;
    }
    if (lineNumbers[index] !== -1) output();
    if (lineStart) {
      lineStart = false;
      lineNumber++;
      lineNumbers[index] = lineNumber;
    }
    if (current === LF) lineStart = true;
    update(current);
  };

  for (let i = 0; i < text.length; i++) process(text.charCodeAt(i));
  process(EOF_CHAR);
  for (let i = 0; i < BLOCK_SIZE; i++) {
    if (lineNumbers[index] !== -1) output();
    update(0);
  }
  return hashes;
}

/** The hash of one line (1-based), or undefined past the end of the text. */
export function primaryLocationLineHash(text: string, line: number): string | undefined {
  const hash = lineHashes(text)[line];
  return hash === undefined || hash === '' ? undefined : hash;
}
