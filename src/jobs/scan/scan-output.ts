import { z } from 'zod';
import { isStrictCompatible, outputSpecFromZod } from '../../agent/final-output.js';
import type { FinalOutputSpec } from '../../agent/final-output.js';

/**
 * The structured answers of the three scan passes (threat model, hunt, prove), as the
 * model must give them. Every property is required and absent values are null, so the
 * schemas are strict compatible (providers that enforce schemas accept them).
 */

export const Severity = z.enum(['critical', 'high', 'medium', 'low']);
export type Severity = z.infer<typeof Severity>;

/** Most severe first: the order used to trim, sort and compare with --fail-on. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
};

export const Cwe = z
  .string()
  .regex(/^CWE-[1-9]\d{0,4}$/)
  .describe('The CWE id of the weakness, e.g. "CWE-89".');

const Place = z.strictObject({
  path: z.string().min(1).describe('File path relative to the repository root.'),
  line: z.number().int().positive().describe('1-based line.'),
  note: z.string().min(1).max(300).describe('What happens to the data here.'),
});

export const ThreatModel = z.strictObject({
  summary: z.string().describe('Two or three sentences: what the code is and who can reach it.'),
  entry_points: z
    .array(
      z.strictObject({
        path: z.string().min(1),
        kind: z.enum(['http', 'cli', 'file', 'network', 'deserialization', 'other']),
        description: z.string().min(1).max(300),
      }),
    )
    .describe('Where outside input enters: HTTP handlers, CLI arguments, files, sockets, parsers.'),
  trust_boundaries: z.array(z.string().min(1).max(300)).describe('Where trust changes.'),
  sinks: z
    .array(z.strictObject({ path: z.string().min(1), description: z.string().min(1).max(300) }))
    .describe('Sensitive sinks: SQL, shell, file system, outbound requests, HTML, eval.'),
  priority_files: z
    .array(z.string().min(1))
    .describe('The files most worth hunting in, riskiest first.'),
});
export type ThreatModel = z.infer<typeof ThreatModel>;

export const Candidate = z.strictObject({
  title: z
    .string()
    .min(1)
    .max(120)
    .describe('One line: the weakness, e.g. "SQL injection in search".'),
  cwe: Cwe,
  severity: Severity,
  confidence: z.number().min(0).max(1).describe('How sure you are, from 0 to 1.'),
  path: z.string().min(1).describe('The file of the sink, relative to the repository root.'),
  start_line: z.number().int().positive().describe('First line of the vulnerable code.'),
  end_line: z.number().int().positive().describe('Last line (the same as start_line for one).'),
  evidence: z
    .string()
    .min(1)
    .max(500)
    .describe('The vulnerable code, copied exactly from one of the cited lines.'),
  root_cause: z
    .string()
    .min(1)
    .max(160)
    .describe(
      'The root cause in a few words that name the function and the sink, not line numbers, e.g. "search_products formats the term into SQL".',
    ),
  explanation: z
    .string()
    .min(1)
    .describe('How an attacker reaches it and what they gain. Markdown.'),
  flow: z
    .array(Place)
    .describe('The path from the source to the sink, source first; empty when there is none.'),
});
export type Candidate = z.infer<typeof Candidate>;

export const HuntOutput = z.strictObject({
  summary: z.string().describe('One paragraph: what was examined and what was found.'),
  findings: z.array(Candidate).describe('The vulnerabilities, most severe first. Empty when none.'),
});
export type HuntOutput = z.infer<typeof HuntOutput>;

export const ProveOutput = z.strictObject({
  verdict: z
    .enum(['confirmed', 'refuted', 'unproven'])
    .describe(
      'confirmed: the code does what the finding claims and an attacker can reach it; refuted: it does not; unproven: cannot tell.',
    ),
  explanation: z.string().min(1).describe('Why, citing the code.'),
  reproduction: z
    .strictObject({
      command: z
        .string()
        .min(1)
        .max(2_000)
        .describe(
          'A shell command, run from the repository root, that exits 0 when it shows the vulnerability.',
        ),
      description: z.string().min(1).max(500).describe('What it does and what it shows.'),
    })
    .nullable()
    .describe('A reproduction you wrote and ran in the sandbox, or null when none is possible.'),
});
export type ProveOutput = z.infer<typeof ProveOutput>;

function strictSpec(name: string, schema: z.ZodType): FinalOutputSpec {
  const spec = outputSpecFromZod(name, schema);
  if (!isStrictCompatible(spec.schema)) {
    throw new Error(`The ${name} schema is not strict compatible; see isStrictCompatible.`);
  }
  return spec;
}

export const threatModelSpec = (): FinalOutputSpec => strictSpec('threat_model', ThreatModel);
export const huntOutputSpec = (): FinalOutputSpec => strictSpec('scan_hunt', HuntOutput);
export const proveOutputSpec = (): FinalOutputSpec => strictSpec('scan_prove', ProveOutput);
