import { describe, expect, it } from 'vitest';
import { exitCodeForFindings } from '../../../src/jobs/review/exit-code-for-findings.js';
import { formatFindingsForTerminal } from '../../../src/jobs/review/format-findings-for-terminal.js';
import { makeFinding } from './make-finding.js';

describe('formatFindingsForTerminal', () => {
  it('prints location, priority and title, the explanation indented, then the suggestion', () => {
    const text = formatFindingsForTerminal(
      [
        makeFinding({
          explanation: 'The last page is lost.\n\nUse ceil.',
          suggestion: 'const pages = Math.ceil(total / size);\nreturn pages;\n',
        }),
        makeFinding({ path: 'a.ts', start_line: 4, end_line: 4, priority: 'P3', title: 'Nit' }),
      ],
      { color: false },
    );
    expect(text).toBe(
      [
        'src/pages.ts:10-12  P1  Off-by-one in page count',
        '    The last page is lost.',
        '',
        '    Use ceil.',
        '    suggestion:',
        '    + const pages = Math.ceil(total / size);',
        '    + return pages;',
        '',
        'a.ts:4  P3  Nit',
        '    The last page is never shown.',
      ].join('\n'),
    );
  });

  it('says when a suggestion deletes the lines', () => {
    expect(
      formatFindingsForTerminal([makeFinding({ suggestion: '' })], { color: false }),
    ).toContain('(delete these lines)');
  });

  it('prints nothing for no findings', () => {
    expect(formatFindingsForTerminal([], { color: false })).toBe('');
  });

  it('colours only when asked', () => {
    const plain = formatFindingsForTerminal([makeFinding()], { color: false });
    const coloured = formatFindingsForTerminal([makeFinding()], { color: true });
    expect(plain).not.toContain('\u001b[');
    expect(coloured).toContain('\u001b[31mP1\u001b[0m');
    // eslint-disable-next-line no-control-regex -- stripping ANSI codes
    expect(coloured.replace(/\u001b\[[\d;]*m/g, '')).toBe(plain);
  });

  it('escapes control characters from the model, so it cannot drive the terminal', () => {
    const text = formatFindingsForTerminal(
      [makeFinding({ title: 'Bad\u001b[2J', explanation: 'x\u001b]0;pwned\u0007' })],
      { color: false },
    );
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
    expect(text).toContain('Bad\\u001b[2J');
  });
});

describe('exitCodeForFindings', () => {
  const findings = [makeFinding({ priority: 'P2' }), makeFinding({ priority: 'P3' })];

  it.each([
    [undefined, 0],
    ['P0', 0],
    ['P1', 0],
    ['P2', 1],
    ['P3', 1],
  ] as const)('fail on %s → %i', (failOn, code) => {
    expect(exitCodeForFindings(findings, failOn)).toBe(code);
  });

  it('is 0 without findings', () => {
    expect(exitCodeForFindings([], 'P3')).toBe(0);
  });
});
