import type { ModelEvent } from '../../src/model/types.js';

/** An `onEvent` for streamTurn, and the events it collected. */
export function collect() {
  const events: ModelEvent[] = [];
  return { events, onEvent: (event: ModelEvent) => events.push(event) };
}

/** The retry events among those collected. */
export const retries = (events: ModelEvent[]) =>
  events.filter((e): e is Extract<ModelEvent, { type: 'retry' }> => e.type === 'retry');
