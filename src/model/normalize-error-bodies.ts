/**
 * Gemini's OpenAI-compatible endpoint wraps error bodies in an array
 * (`[{"error": {...}}]`); the SDK then finds no `error` field and reports
 * "400 status code (no body)", losing the provider's message and its retry hint.
 * This fetch wrapper unwraps such bodies so every provider's error reads the same.
 */
export function normalizeErrorBodies(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.ok) return response;
    const text = await response.text();
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    return new Response(unwrap(text), {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  };
}

function unwrap(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.length > 0) {
      const first: unknown = parsed[0];
      if (first && typeof first === 'object' && 'error' in first) return JSON.stringify(first);
    }
  } catch {
    // Not JSON: the SDK reports the text as it is.
  }
  return text;
}
