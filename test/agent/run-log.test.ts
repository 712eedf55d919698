import { createHash } from 'node:crypto';
import {
  appendFileSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent, RunSetup } from '../../src/agent/events.js';
import { resumeStateFromLog } from '../../src/agent/resume-run.js';
import {
  latestRunId,
  readRunLog,
  RunLogWriter,
  runLogPath,
  stateDir,
} from '../../src/agent/run-log.js';
import { UserError } from '../../src/errors.js';
import type { ConversationItem, Usage } from '../../src/model/types.js';
import { SecretRedactor } from '../../src/util/redact-secrets.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-runlog-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const task: ConversationItem = {
  type: 'message',
  role: 'user',
  content: [{ type: 'text', text: 'Fix it.' }],
};
const setup: RunSetup = {
  runId: 'run-1',
  instructions: 'Be brief.',
  initialItems: [task],
  workspace: '/work/repo',
  model: 'test-model',
  provider: 'openai',
  api: 'responses',
  sandboxPolicy: 'workspace-write',
};
const usage = (total: number): Usage => ({
  inputTokens: total,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: total,
});
const call: ConversationItem = {
  type: 'function_call',
  callId: 'c1',
  name: 'shell',
  arguments: '{"command":"ls"}',
};
const result: ConversationItem = {
  type: 'function_call_output',
  callId: 'c1',
  output: 'Exit code: 0',
};
const call2: ConversationItem = {
  type: 'function_call',
  callId: 'c2',
  name: 'shell',
  arguments: '{"command":"make"}',
};

const started: AgentEvent = { type: 'run_started', at: '2026-11-20T00:00:00.000Z', ...setup };

function writeLog(events: readonly AgentEvent[]): string {
  const file = runLogPath(dir, setup.runId);
  const writer = new RunLogWriter(file, new SecretRedactor([]));
  for (const event of events) writer.write(event);
  writer.close();
  return file;
}

describe('run log files', () => {
  it('writes one JSON line per event in runs/<id>.jsonl, private to the user, secrets redacted', () => {
    const secret = 'sk-test-supersecretvalue';
    const file = runLogPath(dir, 'run-1');
    expect(file).toBe(path.join(dir, 'runs', 'run-1.jsonl'));
    const writer = new RunLogWriter(file, new SecretRedactor([secret]));
    writer.write(started);
    writer.write({ type: 'items', items: [{ ...result, output: `key=${secret}` }] });
    writer.close();

    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(2);
    expect(text).not.toContain(secret);
    expect(text).toContain('key=[REDACTED]');
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(readRunLog(file)).toEqual([
      started,
      { type: 'items', items: [{ ...result, output: 'key=[REDACTED]' }] },
    ]);
  });

  it('keeps images out of the log: each is stored once by content hash, and read back', () => {
    const pixels = Buffer.from('not really a png, but bytes all the same').toString('base64');
    const frame = {
      type: 'image',
      mimeType: 'image/png',
      dataBase64: pixels,
      label: 'frames/f1.png',
    } as const;
    const shown: ConversationItem = { type: 'message', role: 'user', content: [frame] };
    const events: AgentEvent[] = [
      started,
      { type: 'items', items: [shown] },
      // The same image again, as a shed or compacted history carries it: stored once.
      { type: 'compacted', reason: 'threshold', history: [task, shown] },
    ];
    const file = writeLog(events);

    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(pixels);
    expect(text).toContain('"type":"image_ref"');
    const stored = readdirSync(path.join(dir, 'images'));
    expect(stored).toEqual([
      createHash('sha256').update(Buffer.from(pixels, 'base64')).digest('hex'),
    ]);
    expect(statSync(path.join(dir, 'images', stored[0]!)).mode & 0o077).toBe(0);
    expect(readRunLog(file)).toEqual(events);
  });

  it('says which image is missing when the store lost one, instead of calling the log corrupt', () => {
    const frame = {
      type: 'image',
      mimeType: 'image/png',
      dataBase64: 'AAAA',
      label: 'x.png',
    } as const;
    const file = writeLog([
      started,
      { type: 'items', items: [{ type: 'message', role: 'user', content: [frame] }] },
    ]);
    rmSync(path.join(dir, 'images'), { recursive: true });
    expect(() => readRunLog(file)).toThrow(/image \(x\.png\) that is missing/);
  });

  it('ignores a torn last line: the process died mid-write', () => {
    const file = writeLog([started, { type: 'items', items: [call] }]);
    appendFileSync(file, '{"type":"items","items":[{"type":"function_call_out');
    expect(readRunLog(file)).toEqual([started, { type: 'items', items: [call] }]);
  });

  it('refuses a log corrupt in the middle, naming the line', () => {
    const file = writeLog([started]);
    appendFileSync(file, 'not json at all\n');
    appendFileSync(file, `${JSON.stringify({ type: 'items', items: [call] })}\n`);
    expect(() => readRunLog(file)).toThrow(UserError);
    expect(() => readRunLog(file)).toThrow(/line 2/);
  });

  it('reports a missing log as a user error', () => {
    expect(() => readRunLog(path.join(dir, 'runs', 'nope.jsonl'))).toThrow(UserError);
  });

  it('accepts only plain run ids, so a run id cannot point outside the state dir', () => {
    for (const bad of ['../escape', 'a/b', '', 'x y']) {
      expect(() => runLogPath(dir, bad)).toThrow(UserError);
    }
  });

  it('finds the most recently written run for --last', () => {
    expect(latestRunId(dir)).toBeUndefined();
    const older = writeLog([started]);
    utimesSync(older, new Date('2020-01-01'), new Date('2020-01-01'));
    const newer = runLogPath(dir, 'run-2');
    writeFileSync(newer, `${JSON.stringify(started)}\n`);
    expect(latestRunId(dir)).toBe('run-2');
  });

  it('lives in PATCHLING_STATE_DIR, else XDG_STATE_HOME/patchling', () => {
    expect(stateDir({ PATCHLING_STATE_DIR: '/var/lib/patchling' })).toBe('/var/lib/patchling');
    expect(stateDir({ XDG_STATE_HOME: '/home/u/.state' })).toBe('/home/u/.state/patchling');
  });
});

describe('resumeStateFromLog', () => {
  it('rebuilds the conversation, the turn count and the usage of an interrupted run', () => {
    const state = resumeStateFromLog([
      started,
      { type: 'turn_started', turn: 1 },
      { type: 'usage', turn: 1, usage: usage(100), total: usage(100), requestBytes: 400 },
      { type: 'items', items: [call] },
      { type: 'tool_started', callId: 'c1', name: 'shell', arguments: '{"command":"ls"}' },
      { type: 'items', items: [result] },
      { type: 'turn_started', turn: 2 },
      { type: 'usage', turn: 2, usage: usage(150), total: usage(250), requestBytes: 1000 },
      { type: 'items', items: [call2] },
    ]);
    expect(state).toEqual({
      kind: 'resumable',
      setup,
      point: {
        history: [task, call, result, call2],
        turns: 2,
        usage: usage(250),
        requestBytes: 1000,
      },
    });
  });

  it('continues from the compacted history, not from the items it replaced', () => {
    const summary: ConversationItem = {
      type: 'message',
      role: 'user',
      content: [{ type: 'text', text: 'Summary so far.' }],
    };
    const state = resumeStateFromLog([
      started,
      { type: 'items', items: [call, result] },
      { type: 'compacted', reason: 'threshold', history: [task, summary] },
      { type: 'items', items: [call2] },
    ]);
    expect(state.kind === 'resumable' && state.point.history).toEqual([task, summary, call2]);
  });

  it('reports a finished run as finished, with its final event', () => {
    const final: AgentEvent = {
      type: 'run_finished',
      status: 'completed',
      message: 'completed',
      finalMessage: 'Done.',
      turns: 1,
      usage: usage(10),
      requestBytes: 100,
    };
    expect(resumeStateFromLog([started, { type: 'turn_started', turn: 1 }, final])).toEqual({
      kind: 'finished',
      setup,
      final,
    });
  });

  it('resumes a run stopped by a budget, from where it stopped', () => {
    const stopped: AgentEvent = {
      type: 'run_finished',
      status: 'budget_exceeded',
      budget: 'max_turns',
      message: 'stopped: the maximum number of turns (1) was reached',
      turns: 1,
      usage: usage(10),
      requestBytes: 100,
    };
    const state = resumeStateFromLog([
      started,
      { type: 'turn_started', turn: 1 },
      { type: 'items', items: [call, result] },
      stopped,
    ]);
    expect(state).toMatchObject({ kind: 'resumable', point: { turns: 1 } });
    expect(state.kind === 'resumable' && state.point.history).toEqual([task, call, result]);
  });

  it('refuses a log that does not start with run_started', () => {
    expect(() => resumeStateFromLog([{ type: 'turn_started', turn: 1 }])).toThrow(UserError);
    expect(() => resumeStateFromLog([])).toThrow(UserError);
  });
});
