export { applyVex, type SuppressedFinding, type VexApplication } from './apply-vex.js';
export { ACCEPTED_VEX_FORMATS, parseVex } from './parse-vex.js';
export type {
  ParsedVex,
  ParseVexOptions,
  VexFormat,
  VexStatement,
  VexStatus,
  VexSummary,
} from './types.js';
