/** The scripted model server: see server.ts for the server, steps.ts for the script helpers. */
export type {
  RecordedRequest,
  ScriptStep,
  ScriptStepKind,
  ScriptedToolCall,
  ScriptedTurn,
} from './script.js';
export type { ScriptedModelServer, ScriptedModelServerOptions } from './server.js';
export { startScriptedModelServer } from './server.js';
export type { RateLimitOptions } from './steps.js';
export { replayedArguments, step } from './steps.js';
export type { SseEvent } from './encoded-turn.js';
export {
  CONTEXT_LENGTH_MESSAGE,
  QUOTA_MESSAGE,
  SCRIPT_EXHAUSTED_MESSAGE,
  STREAM_ERROR_MESSAGE,
} from './error-bodies.js';
export type { OpenAIErrorBody, OpenAIErrorObject } from './error-bodies.js';
