// Writes openapi/openapi.json from the real app's route schemas; `--check` fails when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { connectDatabase } from '../src/db/connect.js'

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))

/** The document as the app serves it, formatted as committed. */
export async function renderOpenApi(): Promise<string> {
  // The pool connects lazily and is never used: generating the document needs no database.
  const database = await connectDatabase({ databaseUrl: 'postgres://unused@127.0.0.1:1/unused', dataDir: '' })
  const app = await buildApp(testConfig(), { database })
  try {
    return `${JSON.stringify(app.swagger(), null, 2)}\n`
  } finally {
    await app.close()
    await database.close()
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rendered = await renderOpenApi()
  if (process.argv.includes('--check')) {
    let committed = ''
    try {
      committed = readFileSync(OPENAPI_FILE, 'utf8')
    } catch {}
    if (committed !== rendered) {
      process.stderr.write('openapi/openapi.json is stale: run `npm run openapi` and commit it.\n')
      process.exit(1)
    }
    process.stdout.write('openapi/openapi.json is up to date.\n')
  } else {
    writeFileSync(OPENAPI_FILE, rendered)
    process.stdout.write(`wrote ${OPENAPI_FILE}\n`)
  }
}
