import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { Artifact } from '../artifacts/artifact-service.js';
import type { EmbeddedSignature } from '../artifacts/embedded-signature.js';
import type { EvidenceItem } from '../evidence/evidence-service.js';
import type { EvidenceKind } from '../evidence/parse-evidence.js';
import { BadRequestError } from '../platform/errors.js';
import { apiClientFromEnv } from './api-client.js';
import { type CliIo, printTable } from './cli-io.js';
import { progressMeter } from './progress.js';

/**
 * The kinds, for the help text. Not imported from parse-evidence.ts, which would load every
 * document parser at start; the Record type makes this list fail to compile when
 * EVIDENCE_KINDS gains or loses a kind.
 */
const KINDS: Record<EvidenceKind, true> = {
  sbom: true,
  vuln_scan: true,
  vex: true,
  signature: true,
  test_results: true,
};

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new BadRequestError(`${file} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof BadRequestError) throw error;
    throw new BadRequestError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Streams a file to the server with a progress display on stderr; never loads it whole. */
async function streamFile(io: CliIo, file: string) {
  const size = await fileSize(file);
  const body = createReadStream(file).pipe(progressMeter(basename(file), size, io.err));
  return { body, length: size };
}

/** One line per signature the file carries: the verdict, who signed, and when it counted. */
export function describeEmbeddedSignature(embedded: EmbeddedSignature): string {
  const { report } = embedded;
  const head = `Authenticode (${embedded.format.toUpperCase()}): ${report.status}`;
  if (report.signatures.length === 0) {
    return report.reason ? `${head} (${report.reason}): ${report.message ?? ''}`.trimEnd() : head;
  }
  const lines = report.signatures.map((s) => {
    const what = s.nested ? '  nested' : '  signature';
    const when = s.timestamp
      ? `, timestamped ${s.timestamp.at} by ${s.timestamp.authority}`
      : s.validity_at
        ? `, judged at ${s.validity_at}`
        : '';
    const verdict = s.verdict === 'valid' ? 'valid' : `${s.verdict}: ${s.message}`;
    return `${what} (${s.digest_algorithm ?? '?'}) by ${s.signer_subject ?? 'an unknown signer'}${when} — ${verdict}`;
  });
  return [head, ...lines].join('\n');
}

export function registerUploadCommands(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;

  const artifact = program
    .command('artifact')
    .description('upload or register artifacts (talks to CABINET_URL as CABINET_TOKEN)');
  artifact
    .command('upload <file>')
    .description('stream an artifact to the server; it is hashed as it arrives')
    .requiredOption('--publisher <name>', 'who publishes the artifact')
    .option('--filename <name>', 'the name to record (default: the file’s name)')
    .option('--build-time <iso>', 'when it was built (ISO-8601), for the artifact age')
    .action(
      async (file: string, opts: { publisher: string; filename?: string; buildTime?: string }) => {
        const stream = await streamFile(io, file);
        const created = await apiClientFromEnv(io.env).call<Artifact>('POST', '/api/v1/artifacts', {
          query: {
            publisher: opts.publisher,
            filename: opts.filename ?? basename(file),
            build_time: opts.buildTime,
          },
          stream,
        });
        if (json()) {
          io.out(JSON.stringify(created));
          return;
        }
        io.out(`artifact ${created.sha256} (${created.size_bytes} bytes, ${created.filename})`);
        if (created.embedded_signature)
          io.out(describeEmbeddedSignature(created.embedded_signature));
      },
    );
  artifact
    .command('register')
    .description('record an artifact stored elsewhere, by digest')
    .requiredOption('--sha256 <hex>', 'its SHA-256')
    .requiredOption('--size <bytes>', 'its size in bytes')
    .requiredOption('--publisher <name>', 'who publishes it')
    .requiredOption('--filename <name>', 'its file name')
    .option('--build-time <iso>', 'when it was built (ISO-8601)')
    .action(
      async (opts: {
        sha256: string;
        size: string;
        publisher: string;
        filename: string;
        buildTime?: string;
      }) => {
        const created = await apiClientFromEnv(io.env).call<Artifact>(
          'POST',
          '/api/v1/artifacts/register',
          {
            json: {
              sha256: opts.sha256,
              size_bytes: Number(opts.size),
              publisher: opts.publisher,
              filename: opts.filename,
              ...(opts.buildTime ? { build_time: opts.buildTime } : {}),
            },
          },
        );
        if (json()) io.out(JSON.stringify(created));
        else io.out(`artifact ${created.sha256} registered (${created.filename})`);
      },
    );

  const evidence = program
    .command('evidence')
    .description('attach and list evidence (talks to CABINET_URL as CABINET_TOKEN)');
  evidence
    .command('add <intent> <file>')
    .description('upload an evidence document; its format is detected unless --format is given')
    .requiredOption('--kind <kind>', Object.keys(KINDS).join(' | '))
    .option(
      '--format <format>',
      'skip detection (e.g. cyclonedx, spdx, trivy, grype, sarif, openvex, junit)',
    )
    .option('--stage <stage>', 'lab | ring0 (test results)')
    .action(
      async (
        intent: string,
        file: string,
        opts: { kind: string; format?: string; stage?: string },
      ) => {
        const stream = await streamFile(io, file);
        const item = await apiClientFromEnv(io.env).call<EvidenceItem>(
          'POST',
          `/api/v1/intents/${encodeURIComponent(intent)}/evidence`,
          { query: { kind: opts.kind, format: opts.format, stage: opts.stage }, stream },
        );
        if (json()) {
          io.out(JSON.stringify(item));
          return;
        }
        io.out(
          `evidence ${item.id}: ${item.kind} (${item.format}${item.spec_version ? ` ${item.spec_version}` : ''})`,
        );
        for (const [key, value] of Object.entries(item.summary)) {
          if (typeof value !== 'object' || value === null) io.out(`  ${key}: ${String(value)}`);
        }
        for (const warning of item.warnings) io.out(`  warning: ${warning}`);
      },
    );
  evidence
    .command('list <intent>')
    .description('the evidence attached to an intent')
    .action(async (intent: string) => {
      const { evidence: items } = await apiClientFromEnv(io.env).call<{ evidence: EvidenceItem[] }>(
        'GET',
        `/api/v1/intents/${encodeURIComponent(intent)}/evidence`,
      );
      if (json()) io.out(JSON.stringify(items));
      else printTable(io, items, ['id', 'kind', 'format', 'stage', 'sha256', 'created_at']);
    });
}
