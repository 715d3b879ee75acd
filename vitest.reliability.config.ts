// The reliability suite (`npm run test:reliability`): real processes, real PostgreSQL, the emulators over HTTP.
// Files run one after another: they start servers, kill them and load the machine, and must not share cores.
import { defineConfig } from 'vitest/config'

process.env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres'

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
