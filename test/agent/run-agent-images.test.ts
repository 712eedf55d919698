import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AgentEvent } from '../../src/agent/events.js';
import { resumeStateFromLog } from '../../src/agent/resume-run.js';
import { runAgent, type AgentRunOptions } from '../../src/agent/run-agent.js';
import { createModelClient } from '../../src/model/openai-model-client.js';
import { PROVIDER_PROFILES, type WireApi } from '../../src/model/provider-profiles.js';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { createToolRegistry } from '../../src/tools/registry.js';
import type { Tool } from '../../src/tools/types.js';
import { createViewImageTool } from '../../src/tools/view-image.js';
import {
  startScriptedModelServer,
  step,
  type RecordedRequest,
  type ScriptStep,
  type ScriptedModelServer,
} from '../support/model-server/index.js';
import { testModelConfig } from '../support/test-model-config.js';
import { testRunSetup } from '../support/test-run-setup.js';

const FRAMES = 14;
let workspace: string;
let sandbox: Sandbox;
let server: ScriptedModelServer;
let frameBytes: number;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'patchling-agent-images-'));
  sandbox = await createSandbox({ workspace });
  await mkdir(path.join(workspace, 'frames'));
  // Noise, so every frame has about the same encoded size and none compresses to nothing.
  for (let i = 1; i <= FRAMES; i++) {
    const pixels = Buffer.alloc(48 * 48 * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = (p * 7919 + i * 104729) % 251;
    const png = await sharp(pixels, { raw: { width: 48, height: 48, channels: 3 } })
      .png()
      .toBuffer();
    await writeFile(path.join(workspace, 'frames', frameName(i)), png);
    frameBytes = Math.max(frameBytes ?? 0, Math.ceil(png.length / 3) * 4);
  }
});
afterAll(async () => {
  await sandbox.close?.();
  await rm(workspace, { recursive: true, force: true });
});
beforeEach(async () => {
  server = await startScriptedModelServer();
});
afterEach(() => server.close());

function frameName(i: number): string {
  return `frame-${String(i).padStart(2, '0')}.png`;
}

const bigArgs = z.object({});
/** A tool with a long output, to show old output is shortened when the request is too large. */
const bigOutput: Tool<typeof bigArgs> = {
  name: 'big_output',
  description: 'Prints a long log.',
  parameters: bigArgs,
  mutating: false,
  run: async () => ({ ok: true, output: 'log line\n'.repeat(2000) }),
};

function run(api: WireApi, overrides: Partial<AgentRunOptions> = {}) {
  const events: AgentEvent[] = [];
  const result = runAgent({
    setup: testRunSetup({ runId: 'run-images-test', workspace, task: 'Look at the frames.', api }),
    model: createModelClient(testModelConfig(server.baseURL, api)),
    tools: createToolRegistry([createViewImageTool(), bigOutput]),
    toolContext: { workspace, sandbox },
    budgets: { maxTurns: 40 },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { events, result };
}

const viewFrame = (i: number): ScriptStep =>
  step.toolCalls([{ name: 'view_image', arguments: { path: `frames/${frameName(i)}` } }]);

const imagesIn = (request: RecordedRequest) => request.rawBody.split('data:image/').length - 1;

/** The text of every message and tool output of a request, in order, for prefix checks. */
function transcript(request: RecordedRequest): string[] {
  const body = request.body as { input?: unknown[]; messages?: unknown[] };
  return (body.input ?? body.messages ?? []).map((item) => JSON.stringify(item));
}

describe.each(['responses', 'chat'] as const)('images in the history (%s)', (api) => {
  it('keeps the newest images within the budget, stubbing older ones in blocks', async () => {
    server.push(...Array.from({ length: FRAMES }, (_, i) => viewFrame(i + 1)), step.text('done'));
    const budget = { maxBytes: frameBytes * 100, maxImages: 6 };
    const { result, events } = run(api, { imageBudget: budget });
    expect(await result).toMatchObject({ status: 'completed', finalMessage: 'done' });

    const counts = server.requests.map(imagesIn);
    // Grows one by one up to the budget; the image past it drops the count to half.
    expect(counts).toEqual([0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 3, 4, 5, 6]);
    expect(Math.max(...counts)).toBeLessThanOrEqual(budget.maxImages);

    // The stubs name the file, so the model can look again.
    const last = server.requests.at(-1)!.rawBody;
    expect(last).toContain(`Image frames/${frameName(1)} was shown here earlier`);
    expect(last).toContain('Call view_image on it to see it again');
    expect(last).not.toContain(`Image frames/${frameName(FRAMES)} was shown`);

    // Between two shedding points each request extends the previous one item for item,
    // so the provider's prompt cache keeps hitting.
    const breaks = server.requests.slice(1).filter((request, i) => {
      const before = transcript(server.requests[i]!);
      const now = transcript(request);
      return !before.every((item, k) => now[k] === item);
    }).length;
    const shed = events.filter((e) => e.type === 'history_shed');
    expect(shed).toHaveLength(2);
    expect(breaks).toBe(shed.length);
    expect(shed.every((e) => e.type === 'history_shed' && e.reason === 'image_budget')).toBe(true);
  });

  it('sheds images and old tool output after a 413 HTML page, and retries once', async () => {
    const html =
      '<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>cloudflare</center></body></html>';
    server.push(
      step.toolCalls([{ name: 'big_output', arguments: {} }]),
      viewFrame(1),
      viewFrame(2),
      viewFrame(3),
      viewFrame(4),
      { kind: 'status', status: 413, body: html },
      step.text('done'),
    );
    const { result, events } = run(api);
    expect(await result).toMatchObject({ status: 'completed', finalMessage: 'done', turns: 6 });

    const [refused, retried] = server.requests.slice(-2) as [RecordedRequest, RecordedRequest];
    expect(imagesIn(refused)).toBe(4);
    expect(imagesIn(retried)).toBe(2);
    expect(refused.rawBody).toContain('log line\\nlog line\\n'.repeat(1000));
    expect(retried.rawBody).not.toContain('log line\\nlog line\\n'.repeat(1000));
    expect(retried.rawBody).toContain('more characters of this old tool output were dropped');
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'history_shed',
        reason: 'request_too_large',
        imagesDropped: 2,
        outputsShortened: 1,
      }),
    );
  });

  it('fails with the provider’s reason when the shed request is refused again', async () => {
    server.push(
      viewFrame(1),
      viewFrame(2),
      viewFrame(3),
      step.badRequest('Too many images in request. Max is 2.'),
      step.badRequest('Too many images in request. Max is 2.'),
    );
    const { result } = run(api);
    const outcome = await result;
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/too large for openai \(400\): Too many images in request/);
    // One retry, not a loop.
    expect(server.requests).toHaveLength(5);
  });

  it('refuses before sending a request past the profile’s image limit, sheds, and sends', async () => {
    server.push(viewFrame(1), viewFrame(2), viewFrame(3), viewFrame(4), step.text('done'));
    const profile = { ...PROVIDER_PROFILES.openai, maxImages: 3 };
    const model = createModelClient(testModelConfig(server.baseURL, api, { profile }));
    const { result, events } = run(api, { model });
    expect(await result).toMatchObject({ status: 'completed', finalMessage: 'done' });
    // The fifth request was never sent with four images: it went out with two.
    expect(server.requests.map(imagesIn)).toEqual([0, 1, 2, 3, 2]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'history_shed', reason: 'request_too_large' }),
    );
  });

  it('resumes from a log with shed history exactly as the next request would have sent it', async () => {
    server.push(...Array.from({ length: 8 }, (_, i) => viewFrame(i + 1)), step.text('done'));
    const { result, events } = run(api, { imageBudget: { maxBytes: 1e9, maxImages: 4 } });
    await result;
    const cut = events.findLastIndex((e) => e.type === 'history_shed');
    const state = resumeStateFromLog(events.slice(0, cut + 1));
    if (state.kind !== 'resumable') throw new Error('expected a resumable log');
    const shed = events[cut];
    expect(shed?.type === 'history_shed' && shed.history).toEqual(state.point.history);
  });
});
