import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the caller (`callerUrl`: its
 * import.meta.url). Built, the worker is plain JS. Run from TypeScript sources (tsx, vitest),
 * the worker thread needs tsx's loader registered inside it before it imports the module.
 */
export function spawnModuleWorker(
  callerUrl: string,
  name: string,
  options: WorkerOptions = {},
): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const target = JSON.stringify(new URL(`./${name}.ts`, callerUrl).href);
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${target}); });`,
    { ...options, eval: true },
  );
}
