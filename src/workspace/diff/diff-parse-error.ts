import { SystemError } from '../../errors.js';

/** The diff is not what git writes; `line` is 1-based in the parsed text. */
export class DiffParseError extends SystemError {
  readonly line: number;

  constructor(line: number, problem: string) {
    super(`Cannot parse the diff at line ${line}: ${problem}`);
    this.line = line;
  }
}
