/**
 * Child process of bench/cab.ts: `cabinet serve` as src/server.ts runs it (the real app,
 * its scheduler, bootstrap of nothing since the database already has users), configured by
 * the CABINET_* environment the parent passes (CABINET_PORT=0: a free loopback port). It
 * reports its URL over IPC, serves until the parent sends `stop`, then stops as the server
 * does on SIGTERM (last audit checkpoint, container closed) and exits.
 */
import { once } from 'node:events';
import { createContainer } from '../src/composition-root.js';
import { loadConfig } from '../src/config/config.js';
import { startServer } from '../src/server.js';
import { profileSqlite } from './sql-profile.js';

export interface ServerReady {
  url: string;
  pid: number;
}

const writeSqlProfile = profileSqlite();
const container = await createContainer(loadConfig(process.env));
const server = await startServer(container, () => undefined);
const ready: ServerReady = { url: server.url, pid: process.pid };
process.send?.(ready);
await once(process, 'message');
await server.stop();
writeSqlProfile?.();
process.disconnect?.();
