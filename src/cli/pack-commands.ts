import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { PackView } from '../packs/pack-service.js';
import type { PackListing } from '../packs/pack-store.js';
import { apiClientFromEnv } from './api-client.js';
import { CliExit, type CliIo, printTable } from './cli-io.js';

interface Verification {
  ok: boolean;
  checks: { part: string; ok: boolean; message: string }[];
}

function describePack(pack: PackView): string[] {
  const body = pack.body;
  const violations = Object.keys(body.policy_violations);
  return [
    `evidence pack ${pack.id} version ${pack.version} of intent ${pack.intent_id}`,
    `  digest:     sha256:${pack.digest}`,
    `  artifact:   ${body.artifact_filename} ${body.artifact_sha256}`,
    `  risk:       ${body.risk.score} ${body.risk.recommendation} (model ${body.risk.model_version})${body.risk.threshold_exceeded ? ', CAB review required' : ''}`,
    `  policy:     ${body.policy_approved ? 'approved' : `violated: ${violations.join(', ')}`} (set ${body.policy_set_version})`,
    `  scan:       ${body.vuln_scan_tool ?? '-'} passed=${body.vuln_scan_passed}`,
    `  tests:      ${body.test_summary}`,
    `  exceptions: ${body.exception_count}`,
    `  as of:      ${body.as_of}`,
  ];
}

export function registerPackCommands(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const client = () => apiClientFromEnv(io.env);

  const exportPack = async (id: string, out: string | undefined) => {
    io.err(`exporting pack ${id}…`);
    const bundle = await client().call<{ pack: { id: string; version: string } }>(
      'GET',
      `/api/v1/evidence-packs/${encodeURIComponent(id)}/bundle`,
    );
    const text = JSON.stringify(bundle);
    const file = out ?? `evidence-pack-${bundle.pack.id}-v${bundle.pack.version}.bundle.json`;
    await writeFile(file, text);
    if (json()) io.out(JSON.stringify({ file, bytes: Buffer.byteLength(text) }));
    else
      io.out(
        `wrote ${file} (${Buffer.byteLength(text)} bytes); check it offline with: cabinet verify ${file} --key <server key>`,
      );
  };

  const pack = program
    .command('pack')
    .description(
      'generate, inspect and export evidence packs (talks to CABINET_URL as CABINET_TOKEN)',
    );
  pack
    .command('generate <intent>')
    .description('freeze the intent’s current evidence into the next signed pack version')
    .action(async (intent: string) => {
      io.err(
        `gathering evidence, evaluating policy and risk, signing the pack for intent ${intent}…`,
      );
      const started = Date.now();
      const created = await client().call<PackView>(
        'POST',
        `/api/v1/intents/${encodeURIComponent(intent)}/evidence-packs`,
      );
      io.err(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (json()) io.out(JSON.stringify(created));
      else for (const line of describePack(created)) io.out(line);
    });
  pack
    .command('show <id>')
    .description('one pack')
    .action(async (id: string) => {
      const found = await client().call<PackView>(
        'GET',
        `/api/v1/evidence-packs/${encodeURIComponent(id)}`,
      );
      if (json()) io.out(JSON.stringify(found));
      else for (const line of describePack(found)) io.out(line);
    });
  pack
    .command('list <intent>')
    .description('every pack version of an intent')
    .action(async (intent: string) => {
      const { evidence_packs } = await client().call<{ evidence_packs: PackListing[] }>(
        'GET',
        `/api/v1/intents/${encodeURIComponent(intent)}/evidence-packs`,
      );
      if (json()) io.out(JSON.stringify(evidence_packs));
      else
        printTable(io, evidence_packs, [
          'id',
          'version',
          'risk_score',
          'recommendation',
          'policy_approved',
          'as_of',
        ]);
    });
  pack
    .command('verify <id>')
    .description('ask the server to re-check a stored pack (offline: `cabinet verify BUNDLE`)')
    .action(async (id: string) => {
      const result = await client().call<Verification>(
        'GET',
        `/api/v1/evidence-packs/${encodeURIComponent(id)}/verify`,
      );
      if (json()) io.out(JSON.stringify(result));
      else {
        for (const check of result.checks)
          io.out(`${check.ok ? 'ok  ' : 'FAIL'} ${check.part}: ${check.message}`);
        io.out(result.ok ? 'pack verified' : 'pack FAILED verification');
      }
      if (!result.ok) throw new CliExit(3);
    });
  pack
    .command('export <id>')
    .description('download the self-contained bundle of a pack for offline verification')
    .option('--out <file>', 'where to write it')
    .action(async (id: string, opts: { out?: string }) => exportPack(id, opts.out));

  program
    .command('export <pack-id>')
    .description('same as `pack export`: download a pack’s bundle')
    .option('--out <file>', 'where to write it')
    .action(async (id: string, opts: { out?: string }) => exportPack(id, opts.out));
}
