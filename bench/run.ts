// `npm run bench`: the engine benchmark on the shared workloads, then the HTTP benchmark when bench/http.ts exists.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runEngineBench } from './engine.js'

const results = await runEngineBench()
if (results.some((r) => r.violations > 0 || r.missing > 0)) process.exitCode = 1

if (existsSync(fileURLToPath(new URL('./http.ts', import.meta.url)))) {
  // A variable specifier keeps the type checker from requiring a module that may not be written yet.
  const specifier = './http.js'
  const http = (await import(specifier)) as { default?: () => unknown }
  if (typeof http.default === 'function') await http.default()
}
