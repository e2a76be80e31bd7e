// Preloaded into each booksnap CLI child (node --require): on exit, writes the process's peak
// resident set size (getrusage maxRSS, KiB) to $BENCH_RSS_FILE, so the bench measures the
// real peak, not a sample of it.
const { writeFileSync } = require("node:fs");

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on("exit", () => {
    writeFileSync(target, String(process.resourceUsage().maxRSS));
  });
}
