import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { BadRequestError } from '../platform/errors.js';
import type { TrustedPublisher } from '../publishers/publisher-store.js';
import type { SigstoreRoot } from '../publishers/sigstore-root-service.js';
import { apiClientFromEnv } from './api-client.js';
import { type CliIo, printTable } from './cli-io.js';
import { readJsonFile } from './json-file.js';

const identityText = (p: TrustedPublisher) =>
  p.sigstore_identity ? `${p.sigstore_identity.san} @ ${p.sigstore_identity.issuer}` : null;

export function registerPublisherCommands(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const publishers = program
    .command('publishers')
    .description(
      'the trusted publishers the artifact_signed rule accepts (talks to CABINET_URL as CABINET_TOKEN)',
    );

  publishers
    .command('add')
    .description('trust a publisher by X.509 subject and/or Sigstore keyless identity (admin)')
    .requiredOption('--name <name>', 'the publisher, e.g. "Contoso Ltd"')
    .option(
      '--x509-subject <rdns>',
      'RFC 4514 attributes the signer subject must hold, e.g. "O=Contoso Ltd"',
    )
    .option('--san <pattern>', 'keyless: the certificate SAN; "*" at the end makes it a prefix')
    .option(
      '--issuer <url>',
      'keyless: the OIDC issuer, e.g. https://token.actions.githubusercontent.com',
    )
    .action(async (opts: { name: string; x509Subject?: string; san?: string; issuer?: string }) => {
      if ((opts.san === undefined) !== (opts.issuer === undefined)) {
        throw new BadRequestError('--san and --issuer go together: a keyless identity needs both.');
      }
      const body = {
        name: opts.name,
        ...(opts.x509Subject !== undefined ? { x509_subject: opts.x509Subject } : {}),
        ...(opts.san !== undefined
          ? { sigstore_identity: { san: opts.san, issuer: opts.issuer } }
          : {}),
      };
      const created = await apiClientFromEnv(io.env).call<TrustedPublisher>(
        'POST',
        '/api/v1/trusted-publishers',
        { json: body },
      );
      if (json()) io.out(JSON.stringify(created));
      else
        io.out(`trusted publisher ${created.id} "${created.name}" (revision ${created.revision})`);
    });

  publishers
    .command('list')
    .description('list the publishers in force, oldest first')
    .option('--all', 'include removed publishers')
    .action(async (opts: { all?: boolean }) => {
      const { trusted_publishers: all } = await apiClientFromEnv(io.env).call<{
        trusted_publishers: TrustedPublisher[];
      }>('GET', '/api/v1/trusted-publishers', {
        query: { include_removed: opts.all ? 'true' : undefined },
      });
      if (json()) io.out(JSON.stringify(all));
      else {
        printTable(
          io,
          all.map((p) => ({ ...p, sigstore_identity: identityText(p) })),
          ['id', 'name', 'revision', 'x509_subject', 'sigstore_identity', 'removed_at'],
        );
      }
    });

  publishers
    .command('remove <id>')
    .description('stop trusting a publisher (admin); its record stays')
    .action(async (id: string) => {
      const removed = await apiClientFromEnv(io.env).call<TrustedPublisher>(
        'DELETE',
        `/api/v1/trusted-publishers/${encodeURIComponent(id)}`,
      );
      if (json()) io.out(JSON.stringify(removed));
      else io.out(`removed trusted publisher ${removed.id} "${removed.name}"`);
    });

  const roots = program
    .command('sigstore-roots')
    .description('the Sigstore trusted roots bundles are verified against (offline)');

  roots
    .command('add <file>')
    .description('trust a Sigstore instance from its trusted_root.json (admin)')
    .option('--name <name>', 'what to call it (default: the file name)')
    .action(async (file: string, opts: { name?: string }) => {
      const trustedRoot = await readJsonFile(file);
      const name = opts.name ?? basename(file, extname(file));
      const created = await apiClientFromEnv(io.env).call<SigstoreRoot>(
        'POST',
        '/api/v1/sigstore-roots',
        { json: { name, trusted_root: trustedRoot } },
      );
      if (json()) io.out(JSON.stringify(created));
      else {
        const s = created.summary;
        io.out(
          `sigstore root ${created.id} "${created.name}" sha256 ${created.sha256}: ` +
            `${s.certificate_authorities.length} CA, ${s.tlogs.length} tlog, ${s.ctlogs.length} ctlog, ${s.timestamp_authorities.length} TSA`,
        );
      }
    });

  roots
    .command('list')
    .description('list the Sigstore roots in force')
    .option('--all', 'include removed roots')
    .action(async (opts: { all?: boolean }) => {
      const { sigstore_roots: all } = await apiClientFromEnv(io.env).call<{
        sigstore_roots: SigstoreRoot[];
      }>('GET', '/api/v1/sigstore-roots', {
        query: { include_removed: opts.all ? 'true' : undefined },
      });
      if (json()) io.out(JSON.stringify(all));
      else {
        printTable(
          io,
          all.map((r) => ({
            ...r,
            tlogs: r.summary.tlogs.map((t) => t.base_url),
            cas: r.summary.certificate_authorities.map((c) => c.uri),
          })),
          ['id', 'name', 'sha256', 'tlogs', 'cas', 'removed_at'],
        );
      }
    });
}
