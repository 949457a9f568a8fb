import { buildApp } from '../app.js';
import { createContainer } from '../composition-root.js';
import { loadConfig } from '../config/config.js';
import type { Context } from '../platform/context.js';
import type { DemoCorpus } from './demo-corpus.js';
import { type DemoResult, runDemo } from './demo-data.js';

/** Builds the container and the app as `cabinet serve` does (without listening) and runs the demo. */
export async function runDemoWithConfig(
  env: NodeJS.ProcessEnv,
  corpus: DemoCorpus,
  progress: (line: string) => void,
  operator: Context,
): Promise<DemoResult> {
  const config = loadConfig(env);
  const container = await createContainer(config);
  try {
    const app = await buildApp(container, { logger: false });
    try {
      await app.ready();
      return await runDemo({ app, container, config, corpus, operator, progress });
    } finally {
      await app.close();
    }
  } finally {
    await container.close();
  }
}
