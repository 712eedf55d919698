import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { step, type RecordedRequest } from '../support/model-server/index.js';
import {
  nonProgressLines,
  parseJsonLines,
  rawPrefixThrough,
  startScenario,
  textOfItem,
  inputOf,
  messagesOf,
  type Scenario,
} from './harness.js';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/** A small PNG with its own noise, so each frame's bytes differ. */
async function frame(seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(32 * 32 * 3);
  for (let p = 0; p < pixels.length; p++) pixels[p] = (p * 7919 + seed * 104729) % 251;
  return sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } })
    .png()
    .toBuffer();
}

async function writeFrames(dir: string, count: number): Promise<string[]> {
  await mkdir(path.join(dir, 'frames'), { recursive: true });
  const names: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `frames/f${String(i).padStart(2, '0')}.png`;
    await writeFile(path.join(dir, name), await frame(i));
    names.push(name);
  }
  return names;
}

const imagesIn = (request: RecordedRequest | undefined) =>
  (request?.rawBody ?? '').split('data:image/').length - 1;

describe.each([
  ['responses', []],
  ['chat', ['--api', 'chat']],
] as const)('images through the CLI (%s)', (api, apiFlags) => {
  const firstItems = (request: RecordedRequest | undefined) =>
    api === 'chat' ? messagesOf(request) : inputOf(request);
  const listKey = api === 'chat' ? 'messages' : 'input';

  it('exec -i with many images attaches eight and lists the rest for view_image', async () => {
    scenario = await startScenario([
      step.toolCalls([{ name: 'view_image', arguments: { path: 'frames/f11.png' } }]),
      step.text('Seen them.'),
    ]);
    const names = await writeFrames(scenario.repo.dir, 11);
    const flags = names.flatMap((name) => ['-i', name]);
    const result = await scenario.run([
      'exec',
      '--json',
      ...apiFlags,
      ...flags,
      'Compare the frames.',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // --json carries images as references, not their base64.
    const events = parseJsonLines(result.stdout);
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', finalMessage: 'Seen them.' });
    expect(result.stdout).toContain('"type":"image_ref"');
    expect(result.stdout).not.toContain((await frame(11)).toString('base64').slice(0, 200));

    const [first, second] = scenario.server.requests;
    expect(imagesIn(first)).toBe(8);
    const task = firstItems(first).map(textOfItem).join('\n');
    expect(task).toContain('3 more images were given with this task');
    expect(task).toMatch(/- frames\/f09\.png\n- frames\/f10\.png\n- frames\/f11\.png/);
    expect(task).not.toContain('- frames/f08.png');
    // The listed frame opens with view_image.
    expect(imagesIn(second)).toBe(9);
  });

  it('exec -i refuses, before any request, listed images the model could not open', async () => {
    scenario = await startScenario([step.text('never asked')]);
    const names = await writeFrames(scenario.repo.dir, 9);
    const outside = path.join(os.tmpdir(), 'outside-the-repo.png');
    const result = await scenario.run([
      'exec',
      ...apiFlags,
      ...names.flatMap((name) => ['-i', name]),
      '-i',
      outside,
      'Compare the frames.',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/10 images given: the first 8 are attached/);
    expect(result.stderr).toContain(`${outside}: outside the repository`);
    expect(scenario.server.requests).toHaveLength(0);
  });

  it('a view_image run stopped by --max-turns names the flag, logs no base64, and resumes', async () => {
    const views = Array.from({ length: 4 }, (_, i) =>
      step.toolCalls([{ name: 'view_image', arguments: { path: `frames/f0${i + 1}.png` } }]),
    );
    scenario = await startScenario([...views, step.text('All four seen.')]);
    await writeFrames(scenario.repo.dir, 4);

    const stopped = await scenario.run(['exec', ...apiFlags, '--max-turns', '3', 'Look.']);
    expect(stopped.code).toBe(124);
    expect(stopped.stderr).toMatch(
      /maximum number of turns \(3\) was reached \(run \S+; raise the limit with --max-turns N/,
    );
    // Progress reaches a stderr that is not a terminal, as plain lines.
    expect(stopped.stderr).toMatch(/^\[\s*\d+\.\ds\] turn 3$/m);
    expect(stopped.stderr).toMatch(/→ view_image frames\/f02\.png/);

    const [runId] = await scenario.runIds();
    const log = await scenario.runLog(runId!);
    const sent = (await frame(1)).toString('base64');
    expect(log).not.toContain(sent.slice(0, 200));
    expect(log).toContain('"type":"image_ref"');
    expect(await readdir(path.join(scenario.stateDir, 'images'))).toHaveLength(3);

    const resumed = await scenario.run(['exec', 'resume', runId!, '--max-turns', '10']);
    expect(nonProgressLines(resumed.stderr)).toEqual([]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe('All four seen.\n');
    const requests = scenario.server.requests;
    expect(requests).toHaveLength(5);
    // The images came back from the store byte for byte: the resumed request extends the
    // stopped run's last one, so the prompt cache still hits.
    expect(requests[3]!.rawBody.startsWith(rawPrefixThrough(requests[2], listKey))).toBe(true);
    expect(imagesIn(requests[3])).toBe(3);
    expect(existsSync(path.join(scenario.repo.dir, 'images'))).toBe(false);
  });
});
