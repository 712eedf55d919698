/**
 * A scripted model for scans: it answers each pass from a script keyed by what the pass
 * is about, not by the order of requests, so the engine may order batches and proofs as
 * it likes. Used by the scan eval (scripted mode) and by the end-to-end tests.
 */
import type { HuntOutput, ProveOutput, ThreatModel } from '../../src/jobs/scan/scan-output.js';
import { step, type ScriptStep } from '../../test/support/model-server/index.js';
import type { RecordedRequest } from '../../test/support/model-server/script.js';

export interface ScriptedProof {
  readonly verdict: ProveOutput['verdict'];
  readonly explanation: string;
  /** Files the prover writes (with the shell tool) before answering. */
  readonly files?: Readonly<Record<string, string>>;
  readonly reproduction?: { readonly command: string; readonly description: string } | null;
}

export interface ScanScript {
  readonly threatModel: ThreatModel;
  /** Every finding the hunt reports; each batch gets those in its files. */
  readonly findings: HuntOutput['findings'];
  /** By finding title. A candidate without one is answered "unproven". */
  readonly proofs: Readonly<Record<string, ScriptedProof>>;
  /** Tokens each turn reports using. */
  readonly usagePerTurn?: { readonly inputTokens: number; readonly outputTokens: number };
}

const WRITE_REPRO_CALL = 'call_write_reproduction';

/** The pass a request belongs to, from the instructions the engine sent. */
export function passOf(request: RecordedRequest): 'threat_model' | 'hunt' | 'prove' | 'unknown' {
  const body = request.rawBody;
  if (body.includes('# Mapping the attack surface')) return 'threat_model';
  if (body.includes('# Hunting for vulnerabilities')) return 'hunt';
  if (body.includes('# Proving a finding')) return 'prove';
  return 'unknown';
}

/** `count` steps that each answer from the script (more than a scan needs is fine). */
export function scanScriptSteps(script: ScanScript, count = 60): ScriptStep[] {
  return Array.from({ length: count }, () => step.respond((request) => answer(script, request)));
}

function answer(script: ScanScript, request: RecordedRequest): ScriptStep {
  const usage = script.usagePerTurn ? { usage: script.usagePerTurn } : {};
  switch (passOf(request)) {
    case 'threat_model':
      return step.text(JSON.stringify(script.threatModel), usage);
    case 'hunt': {
      const findings = script.findings.filter((finding) =>
        request.rawBody.includes(JSON.stringify(`=== ${finding.path}`).slice(1, -1)),
      );
      const summary =
        findings.length === 0 ? 'Nothing exploitable found.' : `${findings.length} findings.`;
      return step.text(JSON.stringify({ summary, findings }), usage);
    }
    case 'prove': {
      const title = Object.keys(script.proofs).find((name) =>
        request.rawBody.includes(JSON.stringify(name).slice(1, -1)),
      );
      const proof = title === undefined ? undefined : script.proofs[title];
      if (proof === undefined) {
        return step.text(
          JSON.stringify({
            verdict: 'unproven',
            explanation: 'Could not tell.',
            reproduction: null,
          }),
          usage,
        );
      }
      const files = Object.entries(proof.files ?? {});
      if (files.length > 0 && !request.rawBody.includes(WRITE_REPRO_CALL)) {
        const script = files
          .map(([path, content]) => `printf '%s' ${shellQuote(content)} > ${shellQuote(path)}`)
          .join(' && ');
        return step.toolCalls(
          [
            {
              name: 'shell',
              arguments: { command: ['bash', '-c', script] },
              callId: WRITE_REPRO_CALL,
            },
          ],
          usage,
        );
      }
      return step.text(
        JSON.stringify({
          verdict: proof.verdict,
          explanation: proof.explanation,
          reproduction: proof.reproduction ?? null,
        }),
        usage,
      );
    }
    case 'unknown':
      return step.badRequest('The scripted scan model does not know this request.');
    default:
      throw new Error('unreachable');
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
