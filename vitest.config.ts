// Vitest: unit tests run without a database; integration tests clone a migrated template database per file.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/reliability/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest runs one file at a time on two cores (cores - 1); most files here wait on workers, emulators and
    // PostgreSQL rather than compute, so three at once halve the run (PostgreSQL 264 → 142 s, PGlite 246 → 160 s).
    maxWorkers: 3,
  },
})
