import type { Command } from 'commander';
import type { Intent } from '../intents/intent-service.js';
import { apiClientFromEnv } from './api-client.js';
import { type CliIo, printTable } from './cli-io.js';
import { readJsonFile } from './json-file.js';

function describe(intent: Intent): string[] {
  const rings = intent.rollout_plan.rings
    .map((r) => `${r.name} (${r.target_group}, ${r.size}, +${r.start_offset_hours}h)`)
    .join(', ');
  return [
    `intent ${intent.id} (${intent.status}, revision ${intent.revision})`,
    `  app:        ${intent.app_name} ${intent.app_version} on ${intent.plane}`,
    `  artifact:   ${intent.artifact.filename} ${intent.artifact_sha256} (${intent.artifact.publisher})`,
    `  install:    ${intent.install_command} (timeout ${intent.install_timeout_seconds}s)`,
    `  uninstall:  ${intent.uninstall_command} (timeout ${intent.uninstall_timeout_seconds}s)`,
    `  detection:  ${intent.detection_method} ${intent.detection_query}`,
    `  rings:      ${rings}`,
    `  rollback:   ${intent.rollback_plan.strategy}`,
    `  created by: ${intent.created_by} at ${intent.created_at}`,
  ];
}

export function registerIntentCommands(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const intent = program
    .command('intent')
    .description('declare and inspect deployment intents (talks to CABINET_URL as CABINET_TOKEN)');

  intent
    .command('create')
    .description('declare a deployment intent from a JSON file (the POST /api/v1/intents body)')
    .requiredOption('--file <path>', 'the intent as JSON')
    .action(async (opts: { file: string }) => {
      const body = await readJsonFile(opts.file);
      const created = await apiClientFromEnv(io.env).call<Intent>('POST', '/api/v1/intents', {
        json: body,
      });
      if (json()) io.out(JSON.stringify(created));
      else io.out(`created intent ${created.id} (${created.status})`);
    });

  intent
    .command('show <id>')
    .description('show one intent')
    .action(async (id: string) => {
      const found = await apiClientFromEnv(io.env).call<Intent>(
        'GET',
        `/api/v1/intents/${encodeURIComponent(id)}`,
      );
      if (json()) io.out(JSON.stringify(found));
      else for (const line of describe(found)) io.out(line);
    });

  intent
    .command('list')
    .description('list intents, oldest first')
    .option('--status <status>', 'draft, ready, submitted, approved, denied or superseded')
    .option('--plane <plane>', 'intune, jamf, configmgr, landscape or custom')
    .option('--app-name <name>', 'only this application')
    .option('--created-by <user-id>', 'only intents this user created')
    .option('--page-size <n>', 'intents fetched per request (the list follows every page)', '500')
    .action(
      async (opts: {
        status?: string;
        plane?: string;
        appName?: string;
        createdBy?: string;
        pageSize: string;
      }) => {
        const api = apiClientFromEnv(io.env);
        const all: Intent[] = [];
        let cursor: string | undefined;
        do {
          const page = await api.call<{ intents: Intent[]; next_cursor: string | null }>(
            'GET',
            '/api/v1/intents',
            {
              query: {
                status: opts.status,
                plane: opts.plane,
                app_name: opts.appName,
                created_by: opts.createdBy,
                limit: opts.pageSize,
                cursor,
              },
            },
          );
          all.push(...page.intents);
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        if (json()) io.out(JSON.stringify(all));
        else {
          printTable(io, all, [
            'id',
            'status',
            'app_name',
            'app_version',
            'plane',
            'revision',
            'created_by',
          ]);
        }
      },
    );
}
