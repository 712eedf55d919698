import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readActionContext } from '../../src/triggers/action/context.js';
import { readActionInputs } from '../../src/triggers/action/inputs.js';
import {
  createRunnerConsole,
  escapeData,
  inputVariable,
  maskSecret,
  readInput,
  writeOutputs,
} from '../../src/triggers/action/runner.js';
import { SecretRedactor } from '../../src/util/redact-secrets.js';
import { parseOutputFile } from './helpers.js';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchling-runner-'));
  temps.push(dir);
  return dir;
}

describe('the runner protocol', () => {
  it('reads inputs as the runner names them: upper case, spaces to _, hyphens kept', () => {
    expect(inputVariable('api-key')).toBe('INPUT_API-KEY');
    expect(inputVariable('some input')).toBe('INPUT_SOME_INPUT');
    expect(readInput({ 'INPUT_API-KEY': '  sk-1  ' }, 'api-key')).toBe('sk-1');
    expect(readInput({ 'INPUT_API-KEY': '   ' }, 'api-key')).toBeUndefined();
  });

  it('escapes command data, so a message cannot end its line or start another command', () => {
    expect(escapeData('50% done\r\n::error::x')).toBe('50%25 done%0D%0A::error::x');
  });

  it('masks a multi-line secret whole and line by line', () => {
    let text = '';
    maskSecret((chunk) => (text += chunk), 'line-one\nline-two');
    expect(text.split('\n').filter(Boolean)).toEqual([
      '::add-mask::line-one%0Aline-two',
      '::add-mask::line-one',
      '::add-mask::line-two',
    ]);
  });

  it('redacts every line and annotation it prints', () => {
    let text = '';
    const out = createRunnerConsole(
      (chunk) => (text += chunk),
      (line) => new SecretRedactor(['sk-secret-value-1']).redact(line),
    );
    out.log('key sk-secret-value-1');
    out.annotate('error', 'failed with sk-secret-value-1\nand more');
    expect(text).toBe('key [REDACTED]\n::error::failed with [REDACTED]%0Aand more\n');
  });

  it('appends outputs in the delimiter format, values of several lines included', () => {
    const file = path.join(tempDir(), 'output');
    writeFileSync(file, 'earlier<<EOF\nkept\nEOF\n');
    const redact = (text: string) => text.replace('sk-secret-value-1', '[REDACTED]');
    expect(
      writeOutputs(
        { GITHUB_OUTPUT: file },
        { summary: 'one\ntwo sk-secret-value-1', job: '' },
        redact,
      ),
    ).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('earlier<<EOF\nkept\nEOF\n')).toBe(true);
    expect(parseOutputFile(text.slice('earlier<<EOF\nkept\nEOF\n'.length))).toEqual({
      summary: 'one\ntwo [REDACTED]',
      job: '',
    });
    expect(writeOutputs({}, { job: 'x' }, redact)).toBe(false);
  });
});

describe('the inputs', () => {
  const base = { 'INPUT_API-KEY': 'sk-test-key-123456', 'INPUT_GITHUB-TOKEN': 'ghs_token_123456' };

  it('maps model, provider, api and base-url onto the model configuration', () => {
    const inputs = readActionInputs({
      ...base,
      INPUT_PROVIDER: 'gemini',
      INPUT_MODEL: 'gemini-2.5-flash',
      'INPUT_MAX-TURNS': '12',
      INPUT_TIMEOUT: '10m',
    });
    expect(inputs.modelConfig.profile.name).toBe('gemini');
    expect(inputs.modelConfig.model).toBe('gemini-2.5-flash');
    expect(inputs.modelConfig.api).toBe('chat');
    expect(inputs.modelConfig.apiKey).toBe('sk-test-key-123456');
    expect(inputs.maxTurns).toBe(12);
    expect(inputs.timeoutMs).toBe(600_000);
    expect(inputs.commandName).toBe('patchling');
  });

  it('needs no key for a local server', () => {
    const inputs = readActionInputs({
      'INPUT_GITHUB-TOKEN': 'ghs_token_123456',
      'INPUT_BASE-URL': 'http://127.0.0.1:11434/v1',
      INPUT_MODEL: 'qwen3-coder',
    });
    expect(inputs.modelConfig.profile.name).toBe('local');
  });

  it.each([
    [{ INPUT_PROVIDER: 'azure' }, 'The azure provider needs the base-url input'],
    [
      { INPUT_PROVIDER: 'azure', 'INPUT_BASE-URL': 'https://r.openai.azure.com/openai/v1' },
      'The azure provider needs the model input',
    ],
    [{ INPUT_API: 'completions' }, 'The api input must be one of responses, chat'],
    [{ 'INPUT_MAX-TURNS': 'many' }, 'The max-turns input must be a positive whole number'],
    [{ INPUT_TIMEOUT: 'soon' }, 'The timeout input must be a duration'],
    [{ 'INPUT_COMMAND-NAME': 'patch ling' }, 'The command-name input must be a plain word'],
    [{ 'INPUT_GITHUB-TOKEN': '' }, 'The github-token input is empty'],
  ])('refuses %o', (inputs, message) => {
    expect(() => readActionInputs({ ...base, ...inputs })).toThrow(message);
  });
});

describe('the workflow context', () => {
  it('keeps state and workspaces under RUNNER_TEMP, never in the workspace', () => {
    const dir = tempDir();
    const eventPath = path.join(dir, 'event.json');
    writeFileSync(eventPath, '{"schedule":"0 3 * * 1"}');
    const context = readActionContext({
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: 'octo-org/hello-world',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_WORKSPACE: '/home/runner/work/hello-world/hello-world',
      RUNNER_TEMP: '/home/runner/work/_temp',
      GITHUB_SERVER_URL: 'https://ghe.example.com/',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
    });
    expect(context).toMatchObject({
      eventName: 'schedule',
      payload: { schedule: '0 3 * * 1' },
      repo: { owner: 'octo-org', repo: 'hello-world' },
      ref: 'refs/heads/main',
      apiUrl: 'https://ghe.example.com/api/v3',
      serverUrl: 'https://ghe.example.com',
      stateDir: '/home/runner/work/_temp/patchling',
      workRoot: '/home/runner/work/_temp/patchling-workspaces',
      jobId: 'action-local-1',
    });
  });

  it('says so outside a workflow', () => {
    expect(() => readActionContext({})).toThrow(
      'GITHUB_EVENT_NAME is not set: the Patchling Action runs inside a GitHub Actions workflow.',
    );
  });
});
