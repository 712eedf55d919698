// The Patchling Action's entry (action.yml: runs.using node24, main action/main.mjs).
//
// The runner runs an Action from its repository as checked out, without `npm install`, and
// dist/ is not committed. So: when dist/triggers/action.js is missing, run `npm ci` in the
// Action's directory (it installs, and its `prepare` script builds dist/), then import the
// entry and hand it the runner's environment. Plain JavaScript with no dependencies, on
// purpose: it must run before anything is installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'dist', 'triggers', 'action.js');
const INSTALL_TIMEOUT_MS = 15 * 60_000;

function say(line) {
  process.stdout.write(`${line}\n`);
}

/** The npm that came with this node, so native modules are built for this node's ABI. */
function npmCommand() {
  const bundled = path.join(
    path.dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'bin',
    'npm-cli.js',
  );
  return existsSync(bundled)
    ? { command: process.execPath, args: [bundled] }
    : { command: 'npm', args: [] };
}

/**
 * npm runs the dependencies' install scripts: they get no inputs (the API key and the
 * token are INPUT_* variables), no runner tokens and nothing named like a secret. This
 * node comes first on PATH, so scripts run with it.
 */
function installEnv() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('INPUT_') || name.startsWith('ACTIONS_')) continue;
    if (/TOKEN|KEY|SECRET|PASSWORD|CREDENTIAL/i.test(name)) continue;
    env[name] = value;
  }
  env.PATH = [path.dirname(process.execPath), process.env.PATH]
    .filter(Boolean)
    .join(path.delimiter);
  return env;
}

function install() {
  const started = Date.now();
  const npm = npmCommand();
  say('::group::Installing Patchling (npm ci; once per runner, about a minute)');
  const result = spawnSync(
    npm.command,
    [...npm.args, 'ci', '--no-audit', '--no-fund', '--include=dev'],
    {
      cwd: root,
      env: installEnv(),
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: INSTALL_TIMEOUT_MS,
    },
  );
  say('::endgroup::');
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : `exit code ${result.status ?? result.signal}`;
    say(`::error::Installing Patchling failed (npm ci in ${root}: ${why}); see the log above.`);
    return false;
  }
  say(`Patchling installed in ${Math.round((Date.now() - started) / 1000)} s.`);
  return true;
}

/**
 * The entry's main, or undefined when it cannot be had. A run killed midway through an
 * install leaves a partial one behind (self-hosted runners keep the Action's directory):
 * then install again and start afresh in a new process, since this one's module cache
 * already holds the failed imports.
 */
async function load() {
  if (!existsSync(entry) && !install()) return undefined;
  try {
    const loaded = await import(pathToFileURL(entry).href);
    return loaded.main;
  } catch (error) {
    if (process.env.PATCHLING_ACTION_REINSTALLED || error?.code !== 'ERR_MODULE_NOT_FOUND') {
      throw error;
    }
    say(`The installed Patchling is incomplete (${error.message}); installing it again.`);
    if (!install()) return undefined;
    return rerun;
  }
}

/** This bootstrap again, in a child that forwards nothing but its exit code. */
function rerun() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, PATCHLING_ACTION_REINSTALLED: '1' },
      stdio: 'inherit',
    });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (error) => {
      say(`::error::Could not start Patchling: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// Node 22.1+ caches compiled code between runs.
module.enableCompileCache?.();
const main = await load();
process.exit(main ? await main(process.env) : 1);
