// Command line: `accounts create --name …`, `db migrate`. Uses the same configuration as the server.
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from './config.js'
import { connectDatabase } from './db/connect.js'
import { migrateToLatest } from './db/migrate.js'
import { createAccount } from './services/accounts.js'

const USAGE = `Usage:
  officehours accounts create --name <name>   create an account and print its first API key (once)
  officehours db migrate                      apply pending database migrations

Configuration comes from the environment (DATABASE_URL, DATA_DIR, ...), as for the server.`

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  const command = positionals.join(' ')
  if (values.help || !['accounts create', 'db migrate'].includes(command)) {
    process.stdout.write(`${USAGE}\n`)
    return values.help ? 0 : 2
  }
  if (command === 'accounts create' && !values.name?.trim()) {
    process.stderr.write('accounts create needs --name <name>\n')
    return 2
  }

  const config = loadConfig(process.env)
  const database = await connectDatabase(config)
  try {
    const applied = await migrateToLatest(database.db)
    if (command === 'db migrate') {
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n')
      return 0
    }
    const { account, apiKey } = await createAccount({ db: database.db }, values.name!.trim())
    process.stdout.write(
      `Account "${account.name}" created: ${account.id}\nAPI key (shown once, store it now): ${apiKey.key}\n`,
    )
    return 0
  } finally {
    await database.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      `${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`,
    )
    process.exit(1)
  },
)
