/**
 * A text file as lines, keeping what matching must ignore but writing must preserve: each
 * line's own ending (so CRLF files, and mixed ones, stay as they were), a UTF-8 byte order
 * mark, and whether the last line ends with a newline.
 */
export interface TextFile {
  readonly lines: readonly FileLine[];
  /** The ending given to new lines: CRLF when most lines use it, else LF. */
  readonly eol: '\n' | '\r\n';
  readonly bom: boolean;
  /** Files that end with a newline keep one; files that do not stay without. */
  readonly finalNewline: boolean;
}

export interface FileLine {
  /** The line without its ending. */
  readonly text: string;
  /** '\n', '\r\n', or '' for a new line (it gets the file's eol) or an unterminated last line. */
  readonly ending: string;
}

/** undefined when the bytes are not UTF-8 text (a NUL byte or an invalid sequence). */
export function decodeTextFile(bytes: Uint8Array): TextFile | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
  if (text.includes('\0')) return undefined;
  const bom = text.startsWith('\uFEFF');
  if (bom) text = text.slice(1);

  const lines: FileLine[] = [];
  let crlf = 0;
  let lf = 0;
  let position = 0;
  while (position < text.length) {
    const newline = text.indexOf('\n', position);
    if (newline === -1) {
      lines.push({ text: text.slice(position), ending: '' });
      break;
    }
    const cr = newline > position && text[newline - 1] === '\r';
    if (cr) crlf += 1;
    else lf += 1;
    lines.push({
      text: text.slice(position, cr ? newline - 1 : newline),
      ending: cr ? '\r\n' : '\n',
    });
    position = newline + 1;
  }
  return {
    lines,
    eol: crlf > 0 && crlf >= lf ? '\r\n' : '\n',
    bom,
    // An empty file counts as ending with a newline: what is added to it should.
    finalNewline: text === '' || text.endsWith('\n'),
  };
}

export function encodeTextFile(file: TextFile): Buffer {
  const last = file.lines.length - 1;
  let text = file.bom ? '\uFEFF' : '';
  file.lines.forEach((line, index) => {
    const ending = line.ending === '' ? file.eol : line.ending;
    text += line.text + (index < last || file.finalNewline ? ending : '');
  });
  return Buffer.from(text, 'utf8');
}
