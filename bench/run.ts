// `npm run bench`: the engine on the shared workloads, GET /v1/availability over HTTP, bookings over HTTP, then
// inbound calendar sync (BENCH_INBOUND=0 skips it; BENCH_INBOUND_EDITS and BENCH_INBOUND_IMPORT_EVENTS shorten it).
// Each prints one JSON line per measurement; a correctness failure sets a non-zero exit code.
import runBookingBench from './bookings.js'
import { runEngineBench } from './engine.js'
import runHttpBench from './http.js'
import runInboundBench from './inbound.js'

const results = await runEngineBench()
if (results.some((r) => r.violations > 0 || r.missing > 0)) process.exitCode = 1
await runHttpBench()
await runBookingBench()
if (process.env.BENCH_INBOUND !== '0') await runInboundBench()
