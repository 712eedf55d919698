import { PatchParseError } from './patch-errors.js';
import {
  ADD_FILE,
  BEGIN_PATCH,
  DELETE_FILE,
  END_OF_FILE,
  END_PATCH,
  MOVE_TO,
  UPDATE_FILE,
} from './patch-markers.js';
import type { AddFileHunk, ParsedPatch, PatchHunk } from './patch-types.js';
import { hasMarker, parsePatchPath } from './parse-patch-path.js';
import { parseUpdateFile } from './parse-update-file.js';
import { unwrapPatchText, type NumberedLine } from './unwrap-patch-text.js';

/**
 * Parses a patch in the apply_patch format (Codex CLI's grammar):
 *
 *   start: begin_patch hunk+ end_patch
 *   hunk: add_hunk | delete_hunk | update_hunk
 *   add_hunk: "*** Add File: " filename LF add_line+
 *   delete_hunk: "*** Delete File: " filename LF
 *   update_hunk: "*** Update File: " filename LF change_move? change?
 *   change: (change_context | change_line)+ eof_line?
 *
 * Only parses: whether the hunks apply to the files is applyPatch's business.
 * Throws PatchParseError with the line number of the first problem.
 */
export function parsePatch(text: string): ParsedPatch {
  const body = unwrapPatchText(text);
  const lines = body.lines;
  const hunks: PatchHunk[] = [];
  let blank: NumberedLine | undefined;
  let index = 0;

  for (let line = lines[index]; line !== undefined; line = lines[index]) {
    const header = line.text.trim();
    if (header === '') {
      // A blank line between hunks separates them; nothing else can be meant.
      blank = line;
      index += 1;
      continue;
    }
    if (hasMarker(header, ADD_FILE)) {
      const hunk = parseAddFile(lines, index, parsePatchPath(header, ADD_FILE, line));
      hunks.push(hunk.value);
      index = hunk.next;
    } else if (hasMarker(header, DELETE_FILE)) {
      const path = parsePatchPath(header, DELETE_FILE, line);
      hunks.push({ type: 'delete', path, line: line.number });
      index += 1;
    } else if (hasMarker(header, UPDATE_FILE)) {
      const hunk = parseUpdateFile(lines, index, parsePatchPath(header, UPDATE_FILE, line));
      hunks.push(hunk.value);
      index = hunk.next;
    } else {
      throw new PatchParseError(describeUnexpectedLine(line, hunks.at(-1), blank), line.number);
    }
    blank = undefined;
  }

  if (hunks.length === 0) {
    throw new PatchParseError(
      `the patch has no hunks; add at least one "${ADD_FILE}<path>", "${DELETE_FILE}<path>" or "${UPDATE_FILE}<path>" before "${END_PATCH}".`,
      body.endLine,
    );
  }
  return { hunks };
}

/** `*** Add File:` then one or more `+` lines: the new file, which ends with a newline. */
function parseAddFile(
  lines: readonly NumberedLine[],
  start: number,
  path: string,
): { value: AddFileHunk; next: number } {
  const header = lines[start];
  if (header === undefined) throw new RangeError('parseAddFile: start is past the end');
  let index = start + 1;
  let contents = '';
  for (let line = lines[index]; line?.text.startsWith('+'); line = lines[index]) {
    contents += `${line.text.slice(1)}\n`;
    index += 1;
  }
  if (index === start + 1) {
    throw new PatchParseError(
      `the Add File hunk for '${path}' has no lines; every line of the new file follows, prefixed with '+' (a lone '+' is an empty line).`,
      header.number,
    );
  }
  return { value: { type: 'add', path, contents, line: header.number }, next: index };
}

/** The message for a line that starts no hunk, as precise as the context allows. */
function describeUnexpectedLine(
  line: NumberedLine,
  previous: PatchHunk | undefined,
  blank: NumberedLine | undefined,
): string {
  const header = line.text.trim();
  const quoted = JSON.stringify(line.text);
  if (header === END_PATCH) return `"${END_PATCH}" may appear only once, as the last line.`;
  if (header === BEGIN_PATCH) {
    return `"${BEGIN_PATCH}" may appear only once, as the first line; put every change into one patch.`;
  }
  if (hasMarker(header, MOVE_TO)) {
    return `"${MOVE_TO.trim()}" must directly follow its "${UPDATE_FILE.trim()}" line.`;
  }
  if (header === END_OF_FILE) {
    return `"${END_OF_FILE}" must directly follow the lines of a chunk in an Update File hunk.`;
  }
  if (previous?.type === 'add' && line.text.startsWith('+') && blank !== undefined) {
    return `the blank line ${blank.number} ended the Add File hunk for '${previous.path}'; write a lone '+' for an empty line of an added file.`;
  }
  if (previous?.type === 'add' && !header.startsWith('***')) {
    return `${quoted} is neither a line of the added file '${previous.path}' (those start with '+') nor a hunk header.`;
  }
  return `${quoted} is not a hunk header; expected "${ADD_FILE}<path>", "${DELETE_FILE}<path>" or "${UPDATE_FILE}<path>".`;
}
