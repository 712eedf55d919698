import type { ReviewEvalReport } from './run-eval.js';

/** The report as a table for the terminal: one row per fixture, the misses, the totals. */
export function formatReport(report: ReviewEvalReport): string {
  const scripted = report.mode === 'scripted';
  const header = ['fixture', 'status', 'expected', 'reported', 'TP', 'FP', 'FN', 'time'];
  if (scripted) header.push('scripted gate');
  const rows = report.fixtures.map((fixture) => {
    const row = [
      fixture.name,
      fixture.status,
      String(fixture.expected.length),
      String(fixture.reported.length),
      String(fixture.score.truePositives),
      String(fixture.score.falsePositives),
      String(fixture.score.falseNegatives),
      `${(fixture.durationMs / 1000).toFixed(1)}s`,
    ];
    if (scripted) {
      const gate = fixture.scripted;
      const ok = gate !== undefined && gate.scoreMatches && gate.checks.every((check) => check.ok);
      row.push(ok ? 'ok' : 'FAIL');
    }
    return row;
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 0 || column === 1 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();

  const out: string[] = [
    `Review eval, ${report.mode} mode (model: ${report.model.provider}/${report.model.model}), line tolerance ±${report.lineTolerance}`,
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
  ];

  const details = report.fixtures.flatMap((fixture) => {
    const lines: string[] = [];
    for (const index of fixture.score.missed) {
      const missed = fixture.expected[index];
      if (missed)
        lines.push(
          `  missed          ${missed.path}:${missed.lines[0]}-${missed.lines[1]} (${missed.keywords.slice(0, 4).join(', ')}${missed.keywords.length > 4 ? ', …' : ''})`,
        );
    }
    for (const index of fixture.score.unmatched) {
      const extra = fixture.reported[index];
      if (extra)
        lines.push(
          `  false positive  ${extra.path}:${extra.start_line}-${extra.end_line} ${extra.priority} ${extra.title}`,
        );
    }
    if (fixture.dropped.length > 0)
      lines.push(`  left out by the filters: ${fixture.dropped.length}`);
    if (fixture.status !== 'completed') lines.push(`  ${fixture.message}`);
    return lines.length > 0 ? [`${fixture.name}:`, ...lines] : [];
  });
  if (details.length > 0) out.push('', ...details);

  const t = report.totals;
  out.push(
    '',
    `Totals: TP ${t.truePositives}, FP ${t.falsePositives}, FN ${t.falseNegatives}; ` +
      `precision ${percent(t.precision)}, recall ${percent(t.recall)}, F1 ${percent(t.f1)}; ` +
      `clean PRs with zero findings ${t.cleanWithZeroFindings}/${t.cleanFixtures}`,
  );
  if (report.usage.totalTokens > 0) {
    out.push(
      `Tokens: ${report.usage.inputTokens} in (${report.usage.cachedInputTokens} cached), ${report.usage.outputTokens} out`,
    );
  }
  if (scripted) {
    out.push(
      report.ok
        ? 'Scripted gate: passed (every fixture scored exactly what its scripted.json says).'
        : 'Scripted gate: FAILED',
    );
  } else if (!report.ok) {
    out.push('Some reviews did not run to the end:');
  }
  for (const problem of report.problems) out.push(`  - ${problem}`);
  return `${out.join('\n')}\n`;
}

function percent(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(2);
}
