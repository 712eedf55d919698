import { RequestTooLargeError, UnsupportedRequestError } from './errors.js';
import type { ProviderProfile, WireApi } from './provider-profiles.js';
import type { ModelRequest } from './types.js';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Refuses, before anything is sent, a request the provider would answer with a 400,
 * and says what to change. Checks the conversation (what we mean) and the wire body
 * (what we would send).
 */
export function checkRequest(request: ModelRequest, profile: ProviderProfile, api: WireApi): void {
  const problems: string[] = [];

  if (!profile.apis.includes(api)) {
    problems.push(
      `the ${profile.name} endpoint does not speak the ${api === 'chat' ? 'Chat Completions' : 'Responses'} API; use --api ${profile.apis[0]}`,
    );
  }
  if (request.tools.length > profile.maxTools) {
    problems.push(
      `${request.tools.length} tools declared; ${profile.name} accepts at most ${profile.maxTools}`,
    );
  }
  const seen = new Set<string>();
  for (const tool of request.tools) {
    if (!TOOL_NAME.test(tool.name))
      problems.push(`tool name ${JSON.stringify(tool.name)} is not [a-zA-Z0-9_-]{1,64}`);
    if (seen.has(tool.name)) problems.push(`tool ${tool.name} is declared twice`);
    seen.add(tool.name);
  }

  const images = request.input.reduce(
    (sum, item) =>
      item.type === 'message'
        ? sum + item.content.filter((part) => part.type === 'image').length
        : sum,
    0,
  );
  if (images > 0 && !profile.images) {
    problems.push(
      `the request carries images, which the ${profile.name} profile does not accept; use a vision-capable provider or drop the images`,
    );
  }

  // Every call must be answered before the model speaks again (OpenAI: "No tool output
  // found for function call"; Gemini: "number of function response parts ...").
  const open = new Set<string>();
  for (const item of request.input) {
    if (item.type === 'function_call') open.add(item.callId);
    else if (item.type === 'function_call_output') {
      if (!open.delete(item.callId))
        problems.push(`a tool result answers unknown call ${item.callId}`);
    }
  }
  for (const callId of open) problems.push(`function call ${callId} has no result`);

  if (problems.length > 0) {
    throw new UnsupportedRequestError(`request not sent: ${problems.join('; ')}`);
  }
  // Checked last: the agent loop answers a too-large request by shedding, which would not
  // cure any of the problems above.
  if (images > profile.maxImages) {
    throw new RequestTooLargeError(
      `request not sent: it carries ${images} images; ${profile.name} accepts at most ${profile.maxImages}`,
    );
  }
}

/** The body as it would go out must fit the endpoint's size limit. */
export function checkRequestBytes(bytes: number, profile: ProviderProfile): void {
  if (bytes > profile.maxRequestBytes) {
    throw new RequestTooLargeError(
      `request not sent: it is ${(bytes / 1e6).toFixed(1)} MB; ${profile.name} accepts at most ${(profile.maxRequestBytes / 1e6).toFixed(0)} MB`,
    );
  }
}

/** The last line of defence: no field the endpoint is known to reject leaves the process. */
export function checkWireBody(body: object, profile: ProviderProfile): void {
  const rejected = profile.rejectedFields.filter((field) => field in body);
  if (rejected.length > 0) {
    throw new UnsupportedRequestError(
      `request not sent: the ${profile.name} endpoint rejects the field(s) ${rejected.join(', ')}`,
    );
  }
}
