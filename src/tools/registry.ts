import { z } from 'zod';
import { UserError, describeError } from '../errors.js';
import type { ParsedArguments, ToolSpec } from '../model/types.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

export interface ToolCall {
  readonly name: string;
  readonly parsed: ParsedArguments;
}

export interface ToolRegistry {
  /** The same frozen array on every call: byte-identical specs keep the prompt cache warm. */
  specs(): readonly ToolSpec[];
  get(name: string): Tool | undefined;
  /** Unknown names count as mutating, the cautious answer for scheduling. */
  isMutating(name: string): boolean;
  /** Runs a call; every model mistake becomes an ok:false outcome. Throws only on abort. */
  execute(call: ToolCall, context: ToolContext): Promise<ToolOutcome>;
}

// What OpenAI-compatible providers accept as a function name.
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function createToolRegistry(tools: readonly Tool[]): ToolRegistry {
  const byName = new Map<string, Tool>();
  for (const tool of tools) {
    if (!TOOL_NAME.test(tool.name)) {
      throw new UserError(`Tool name ${JSON.stringify(tool.name)} must match ${TOOL_NAME}.`);
    }
    if (byName.has(tool.name)) throw new UserError(`Two tools are named ${tool.name}.`);
    byName.set(tool.name, tool);
  }
  // Computed once, in the given order, and frozen: a spec that changed between turns
  // would silently invalidate the provider's prompt cache.
  const specs = deepFreeze(tools.map(toSpec));
  const available = tools.map((tool) => tool.name).join(', ');

  return {
    specs: () => specs,
    get: (name) => byName.get(name),
    isMutating: (name) => byName.get(name)?.mutating ?? true,
    execute: async (call, context) => {
      const tool = byName.get(call.name);
      if (tool === undefined) {
        return failure(
          `There is no tool named ${JSON.stringify(call.name)}. Available tools: ${available}.`,
        );
      }
      if (!call.parsed.ok) {
        return failure(
          `The arguments were not valid JSON: ${call.parsed.error}; call the tool again with a JSON object matching its schema.`,
        );
      }
      const parsed = await tool.parameters.safeParseAsync(call.parsed.value);
      if (!parsed.success) {
        return failure(
          `Invalid arguments for ${tool.name}:\n${z.prettifyError(parsed.error)}\nCall the tool again with arguments matching its schema.`,
        );
      }
      context.signal.throwIfAborted();
      try {
        return await tool.run(parsed.data, context);
      } catch (error) {
        // An abort is not the model's mistake: let it stop the run.
        context.signal.throwIfAborted();
        return failure(`${tool.name} failed: ${describeError(error)}`);
      }
    },
  };
}

function toSpec(tool: Tool): ToolSpec {
  // io: 'input' describes what the model sends, so fields with defaults stay optional.
  const schema = stripNoise(z.toJSONSchema(tool.parameters, { io: 'input' }));
  if (!isRecord(schema) || schema.type !== 'object') {
    throw new UserError(`The parameters of tool ${tool.name} must be a zod object schema.`);
  }
  return { name: tool.name, description: tool.description, parameters: schema };
}

/**
 * Drops what only costs tokens: `$schema`, and the ±2^53-1 bounds zod adds to every
 * `.int()`, which say nothing a model needs.
 */
function stripNoise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNoise);
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$schema') continue;
    if (key === 'maximum' && child === Number.MAX_SAFE_INTEGER) continue;
    if (key === 'minimum' && child === Number.MIN_SAFE_INTEGER) continue;
    result[key] = stripNoise(child);
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function failure(output: string): ToolOutcome {
  return { ok: false, output };
}
