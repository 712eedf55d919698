/**
 * Keeps a command's output in bounded memory: the first half of the budget from the start,
 * the second half from the end, and a count of what fell in between. Both ends matter:
 * the head says what ran, the tail says how it ended.
 */
export class OutputCollector {
  private readonly headCap: number;
  private readonly tailCap: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(maxBytes: number) {
    this.headCap = Math.floor(maxBytes / 2);
    this.tailCap = maxBytes - this.headCap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headCap) {
      const take = Math.min(rest.length, this.headCap - this.headBytes);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    // Drop whole chunks from the front while the rest still fills the tail.
    while (this.tail.length > 1 && this.tailBytes - (this.tail[0]?.length ?? 0) >= this.tailCap) {
      this.tailBytes -= this.tail.shift()?.length ?? 0;
    }
  }

  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.headCap + this.tailCap;
  }

  text(): string {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    tail = tail.subarray(tail.length - this.tailCap);
    const headEnd = utf8Boundary(head, head.length);
    const tailStart = utf8Boundary(tail, 0);
    const cut = this.total - headEnd - (tail.length - tailStart);
    return (
      head.subarray(0, headEnd).toString('utf8') +
      `\n[... ${cut} bytes of output cut here ...]\n` +
      tail.subarray(tailStart).toString('utf8')
    );
  }
}

/**
 * The nearest offset at or after `offset` (or at or before, for the end of a buffer) that
 * starts a UTF-8 character, so a cut never leaves half a character to decode as U+FFFD.
 */
export function utf8Boundary(buffer: Buffer, offset: number): number {
  const isContinuation = (index: number): boolean => ((buffer[index] ?? 0) & 0xc0) === 0x80;
  if (offset >= buffer.length) {
    // Back off over a trailing character that is incomplete.
    let start = buffer.length;
    let steps = 0;
    while (start > 0 && steps < 4 && isContinuation(start - 1)) {
      start--;
      steps++;
    }
    if (start === 0) return buffer.length;
    const lead = buffer[start - 1] ?? 0;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    return need > steps + 1 ? start - 1 : buffer.length;
  }
  let index = offset;
  while (index < buffer.length && index - offset < 4 && isContinuation(index)) index++;
  return index;
}
