import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Test support that lives beside the code it serves (PKIs, signing kits, fixtures) is
      // not product code: it runs only under the tests.
      exclude: [
        'src/**/*.test.ts',
        'src/**/*.d.ts',
        'src/**/test-pki.ts',
        'src/**/test-signing.ts',
        'src/**/msi-test-support.ts',
        'src/**/sigstore-test-*.ts',
        'src/**/trusted-root-fixture.ts',
        'src/cli/run.ts',
      ],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 90, branches: 90 },
    },
  },
});
