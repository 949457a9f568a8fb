export { ACCEPTED_SCAN_FORMATS, parseScan } from './parse-scan.js';
export type {
  Finding,
  ParsedScan,
  ParseScanOptions,
  ScanFormat,
  ScanSummary,
  Severity,
} from './types.js';
