// Vitest global setup: prepares the test database (filled in with the database layer).
export default async function setup(): Promise<void> {}
