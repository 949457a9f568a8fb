/*
 * The shapes below are what the official schema of every version 1.2–1.7 guarantees once
 * a value has passed it; only the members the parsers read are listed.
 */

export interface CdxNode {
  'bom-ref'?: string;
  components?: CdxComponent[];
  services?: CdxNode[];
}

export interface CdxComponent extends CdxNode {
  type: string;
  name: string;
  version?: string;
  purl?: string;
  licenses?: CdxLicenceChoice[];
  hashes?: { alg: string; content: string }[];
}

export type CdxLicenceChoice = { license: { id?: string; name?: string } } | { expression: string };

export interface CdxDependency {
  ref: string;
  dependsOn?: string[];
}

export interface CdxBom {
  metadata?: { component?: CdxComponent };
  vulnerabilities?: unknown[];
  components?: CdxComponent[];
  services?: CdxNode[];
  dependencies?: CdxDependency[];
}
