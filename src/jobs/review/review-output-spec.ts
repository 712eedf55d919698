import { isStrictCompatible, outputSpecFromZod } from '../../agent/final-output.js';
import type { FinalOutputSpec } from '../../agent/final-output.js';
import { ReviewOutput } from './finding.js';

/**
 * The final answer a review run must give: ReviewOutput as JSON. Its schema is strict
 * compatible (every property required, no others; `suggestion` is nullable rather than
 * optional for that), so providers that enforce schemas strictly accept it; this is
 * checked here, where a change to the schema would first be used.
 */
export function reviewOutputSpec(): FinalOutputSpec {
  const spec = outputSpecFromZod('review', ReviewOutput);
  if (!isStrictCompatible(spec.schema)) {
    throw new Error('The ReviewOutput schema is not strict compatible; see isStrictCompatible.');
  }
  return spec;
}
