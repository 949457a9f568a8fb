import { fail } from '../scan/doc-reader.js';
import { STAGES, type TestStage } from './types.js';

export function isStage(value: unknown): value is TestStage {
  return STAGES.some((stage) => stage === value);
}

/**
 * The stage comes from the document (JSON only) or the `stage=` option; one of them is
 * required, and when both are given they must agree rather than one silently winning.
 */
export function resolveStage(
  fromDocument: TestStage | null,
  fromOptions: unknown,
  path: string,
): TestStage {
  if (fromOptions !== undefined && !isStage(fromOptions)) {
    fail(
      `stage=${String(fromOptions)} is not a stage; use stage=lab or stage=ring0.`,
      path,
      'stage must be lab or ring0',
      'invalid_stage',
    );
  }
  if (fromDocument !== null && fromOptions !== undefined && fromDocument !== fromOptions) {
    fail(
      `The document says stage ${fromDocument} but stage=${fromOptions} was given.`,
      path,
      `document stage ${fromDocument} differs from requested stage ${fromOptions}`,
      'stage_mismatch',
    );
  }
  const stage = fromDocument ?? fromOptions;
  if (stage === undefined) {
    fail(
      'The test stage is required: pass stage=lab or stage=ring0 (or "stage" in the JSON summary).',
      path,
      'stage is required',
      'stage_required',
    );
  }
  return stage;
}
