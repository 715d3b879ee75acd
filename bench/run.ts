// `npm run bench`: the engine on the shared workloads, GET /v1/availability over HTTP, then bookings over HTTP.
// Each prints one JSON line per measurement; a correctness failure sets a non-zero exit code.
import runBookingBench from './bookings.js'
import { runEngineBench } from './engine.js'
import runHttpBench from './http.js'

const results = await runEngineBench()
if (results.some((r) => r.violations > 0 || r.missing > 0)) process.exitCode = 1
await runHttpBench()
await runBookingBench()
