import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { step } from '../support/model-server/index.js';
import { killGroup, spawnCli } from '../support/run-cli.js';
import {
  bodyOf,
  callOutputs,
  inputOf,
  listFiles,
  parseJsonLines,
  rawPrefixThrough,
  startScenario,
  waitFor,
  type Scenario,
  nonProgressLines,
} from './harness.js';

const TASK = 'Record the two calls in calls.log.';
const FINAL = 'Both calls are recorded in calls.log.';
// The second call sleeps only the first time, so the resumed run re-runs it quickly.
const SECOND_CALL =
  'if [ ! -f started2 ]; then touch started2; sleep 30; fi; echo two >> calls.log';

const script = () => [
  step.toolCalls([
    { name: 'shell', arguments: { command: 'echo one >> calls.log' }, callId: 'call_one' },
  ]),
  step.toolCalls([{ name: 'shell', arguments: { command: SECOND_CALL }, callId: 'call_two' }]),
  step.text(FINAL),
];

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts the run, waits until the second call is running, then SIGKILLs it. Returns its run id. */
async function startAndKillMidCall(
  scenario: Scenario,
  beforeKill: () => Promise<void> = async () => undefined,
): Promise<string> {
  const child = spawnCli(['exec', TASK], { cwd: scenario.repo.dir, env: scenario.env });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitFor(
      () => existsSync(path.join(scenario.repo.dir, 'started2')) || child.exitCode !== null,
      'the second call to start',
    );
    expect(child.exitCode, `the run ended before it was killed: ${stderr}`).toBeNull();
    await beforeKill();
  } finally {
    killGroup(child);
    await exited(child);
  }
  expect(child.signalCode).toBe('SIGKILL');
  const ids = await scenario.runIds();
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

/** Host processes whose command line contains `marker`. */
async function processesMentioning(marker: string): Promise<number> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const lines = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')),
  );
  return lines.filter((line) => line.replaceAll('\0', ' ').includes(marker)).length;
}

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('patchling exec resume after kill -9', () => {
  it('re-runs only the unfinished call, asks the model no extra turn, and finishes', async () => {
    scenario = await startScenario(script());
    const runId = await startAndKillMidCall(scenario);
    expect(scenario.server.requests).toHaveLength(2);

    const result = await scenario.run(['exec', 'resume', runId]);
    expect(nonProgressLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${FINAL}\n`);

    // "one" was finished before the kill and not repeated; "two" ran once, after resume.
    expect(await readFile(path.join(scenario.repo.dir, 'calls.log'), 'utf8')).toBe('one\ntwo\n');

    const requests = scenario.server.requests;
    expect(requests).toHaveLength(3);
    expect(callOutputs(requests[2])).toEqual([
      { callId: 'call_one', output: expect.stringMatching(/^Exit code: 0\n/) },
      { callId: 'call_two', output: expect.stringMatching(/^Exit code: 0\n/) },
    ]);
    // The resumed request continues the killed run's conversation byte for byte.
    expect(requests[2]!.rawBody.startsWith(rawPrefixThrough(requests[1], 'input'))).toBe(true);
    expect(bodyOf(requests[2]).instructions).toBe(bodyOf(requests[0]).instructions);
    expect(JSON.stringify(bodyOf(requests[2]).tools)).toBe(
      JSON.stringify(bodyOf(requests[0]).tools),
    );
    expect(JSON.stringify(inputOf(requests[2]))).toContain(TASK);
  });

  it('keeps the run log in the state dir, never in the workspace', async () => {
    scenario = await startScenario(script());
    const runId = await startAndKillMidCall(scenario);
    expect(existsSync(path.join(scenario.stateDir, 'runs', `${runId}.jsonl`))).toBe(true);
    const files = await listFiles(scenario.repo.dir);
    expect(files.filter((file) => file.endsWith('.jsonl') || file.includes(runId))).toEqual([]);
    expect(files.sort()).toEqual(['calls.log', 'package.json', 'started2', 'sum.js', 'test.js']);
  });

  it('takes the sandboxed command down with the killed process', async () => {
    scenario = await startScenario(script());
    await startAndKillMidCall(scenario, async () => {
      expect(await processesMentioning(SECOND_CALL)).toBeGreaterThan(0);
    });
    // bwrap --die-with-parent: the `sleep 30` of call two must not outlive the orchestrator.
    await waitFor(
      async () => (await processesMentioning(SECOND_CALL)) === 0,
      'call two to die',
      5000,
    );
  });

  it('resume --last picks the newest run', async () => {
    scenario = await startScenario(script());
    // An older, finished run that --last must not pick.
    const runs = path.join(scenario.stateDir, 'runs');
    await mkdir(runs, { recursive: true });
    const olderId = '20200101T000000Z-000000';
    const older = path.join(runs, `${olderId}.jsonl`);
    await writeFile(older, `${JSON.stringify({ type: 'run_started', runId: olderId })}\n`);
    await utimes(older, new Date('2020-01-01'), new Date('2020-01-01'));

    const child = spawnCli(['exec', TASK], { cwd: scenario.repo.dir, env: scenario.env });
    try {
      await waitFor(() => existsSync(path.join(scenario!.repo.dir, 'started2')), 'call two');
    } finally {
      killGroup(child);
      await exited(child);
    }
    const runId = (await scenario.runIds()).find((id) => id !== olderId);
    expect(runId).toBeDefined();

    const result = await scenario.run(['exec', 'resume', '--last']);
    expect(nonProgressLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${FINAL}\n`);
    expect(await readFile(path.join(scenario.repo.dir, 'calls.log'), 'utf8')).toBe('one\ntwo\n');
    expect(scenario.server.requests).toHaveLength(3);

    const events = parseJsonLines(await scenario.runLog(runId!));
    const resumed = events.findIndex((e) => e.type === 'run_resumed');
    expect(events[resumed]).toMatchObject({ runId, pendingCalls: 1 });
    expect(events.slice(resumed).filter((e) => e.type === 'tool_started')).toEqual([
      expect.objectContaining({ callId: 'call_two' }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'completed' });
    expect(await scenario.runLog(olderId)).not.toContain('run_resumed');
  });

  it('resume of a finished run prints its answer again without asking the model', async () => {
    scenario = await startScenario([step.text(FINAL)]);
    const first = await scenario.run(['exec', TASK]);
    expect(first.code).toBe(0);
    const [runId] = await scenario.runIds();
    const again = await scenario.run(['exec', 'resume', runId!]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`${FINAL}\n`);
    expect(again.stderr).toMatch(/already finished/);
    expect(scenario.server.requests).toHaveLength(1);
  });

  it('honours the run options given to resume: --json keeps stdout to JSON lines', async () => {
    scenario = await startScenario([step.text(FINAL)]);
    expect((await scenario.run(['exec', TASK])).code).toBe(0);
    const [runId] = await scenario.runIds();
    const again = await scenario.run(['exec', 'resume', runId!, '--json']);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain(`${FINAL}\n`);
    expect(() => parseJsonLines(again.stdout)).not.toThrow();
  });
});
