// Preloaded into a CLI run (node --require): reports the process's peak resident set size on
// stderr as it exits, for tests that bound memory by what the machine holds, Buffers included
// (a heap limit alone does not see memory outside the JS heap).
process.on("exit", () => {
  process.stderr.write(`\npeak-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
