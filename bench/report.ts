import type { ProfileSummary } from "./profile.js";
import type { StatementTime } from "./statements.js";
import { type BenchResults, fmtMb, type RssPoint, type Sample } from "./suite.js";

/** Where and with what the numbers were measured. */
export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  server: string;
  serverOrigin: string;
  tools: string;
  booksnapVersion: string;
  commit: string;
  /** Extra CLI flags the run passed (BENCH_EXPORT_ARGS / BENCH_IMPORT_ARGS), if any. */
  extraArgs: string;
  /** Node flags from the CLI's shebang, which the bench passes like the installed bin does. */
  cliNodeFlags: string[];
  /** 1-minute load average at the start and the end of the run (other work on the machine). */
  load: [number, number];
}

/** Peak RSS target from issue 4, in bytes (MB = 10^6 bytes: the stricter reading). */
const RSS_LIMIT_BYTES = 200_000_000;
/** "Flat": at most 25 % more peak RSS for 10× the rows (our reading of the issue's word). */
const FLAT_GROWTH = 1.25;

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (rows: number, ms: number) => `${int((rows * 1000) / ms)} rows/s`;
const ratio = (x: number) => `${x.toFixed(2)}×`;
const mark = (ok: boolean) => (ok ? "**met**" : "**missed**");
const bytesText = (n: number) => `${(n / 1_000_000).toFixed(2)} MB`;

function runsText(s: Sample): string {
  return s.runsMs.map((ms) => (ms / 1000).toFixed(2)).join(" / ");
}

export function renderReport(results: BenchResults, machine: MachineInfo): string {
  const r = results;
  const lines: string[] = [];
  const c = r.counts;
  lines.push(
    `Measured ${machine.date} by \`npm run bench -- --books ${r.books} --repeat ${r.repeat}\` (booksnap ${machine.booksnapVersion}, commit ${machine.commit}).`,
    "",
    `- Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGb.toFixed(0)} GB RAM, ${machine.os}; Node ${machine.node}; 1-min load average ${machine.load[0].toFixed(1)} at the start, ${machine.load[1].toFixed(1)} at the end.`,
    `- Server: PostgreSQL ${machine.server}, ${machine.serverOrigin}, on the same machine over TCP loopback; fsync, synchronous_commit and full_page_writes off (throw-away server, same for every contender).`,
    `- Tools: ${machine.tools}.`,
    `- Dataset (seed ${r.seed}): ${int(c.User)} users, ${int(c.Book)} books (synopsis 300–3,000 chars, 1–4 subjects, 1–3 authors, unicode titles), ${int(c.ReadingList)} reading lists, ${int(c.BookInReadingList)} list entries; seeded with COPY in ${secs(r.seedMs)}.`,
    ...(machine.extraArgs ? [`- Non-default booksnap flags: ${machine.extraArgs}.`] : []),
    `- Each figure is the median of ${r.repeat} run(s); booksnap runs as its bin does (\`node ${machine.cliNodeFlags.length > 0 ? `${machine.cliNodeFlags.join(" ")} ` : ""}dist/cli.js …\`, the flags from its shebang) in child processes (wall clock includes Node start-up), peak RSS is the child's getrusage maxRSS.`,
    "",
  );

  lines.push(
    "| # | Measure | booksnap | Reference | Ratio | Target | Result |",
    "|---|---|---|---|---|---|---|",
  );
  if ("skipped" in r.export) {
    lines.push(`| 1 | Export | not measured: ${r.export.skipped} | | | ≥ 0.5× COPY\\|zstd | not measured |`);
  } else {
    const b = r.export.booksnap.medianMs;
    const k = r.export.copy.medianMs;
    const x = k / b;
    lines.push(
      `| 1 | Export, all 4 tables (${int(r.exportRows)} rows) | ${rate(r.exportRows, b)} (${secs(b)}) | \`psql \\copy (SELECT …) TO STDOUT \\| zstd -3\`: ${rate(r.exportRows, k)} (${secs(k)}) | ${ratio(x)} | ≥ 0.5× | ${mark(x >= 0.5)} |`,
    );
  }
  if ("skipped" in r.import) {
    const copy = r.import.copy
      ? `\`psql \\copy … FROM\`: ${rate(r.importRows, r.import.copy.medianMs)} (${secs(r.import.copy.medianMs)})`
      : "";
    lines.push(`| 2 | Import | not measured: ${r.import.skipped} | ${copy} | | ≥ 0.5× COPY | not measured |`);
  } else {
    const b = r.import.booksnap.medianMs;
    const k = r.import.copy.medianMs;
    const x = k / b;
    lines.push(
      `| 2 | Import into an empty dev DB (${int(r.importRows)} rows: books, lists, entries; validation + full verification on) | ${rate(r.importRows, b)} (${secs(b)}) | \`psql \\copy … FROM\` same rows, same tables/indexes/FKs, one transaction: ${rate(r.importRows, k)} (${secs(k)}) | ${ratio(x)} | ≥ 0.5× | ${mark(x >= 0.5)} |`,
    );
  }
  const cm = r.createMany;
  const cmRate = (cm.rows * 1000) / cm.ms;
  const importRate = "skipped" in r.import ? undefined : (r.importRows * 1000) / r.import.booksnap.medianMs;
  lines.push(
    `| 3 | Batched \`createMany\` reference (Prisma 7 + adapter-pg, batches of ${cm.batch}, one interactive transaction each; ${cm.books < r.books ? `measured on ${int(cm.books)} books = ${int(cm.rows)} rows, 1 run` : `${int(cm.rows)} rows, 1 run`}) | ${importRate === undefined ? "-" : `${int(importRate)} rows/s (import)`} | createMany: ${int(cmRate)} rows/s (${secs(cm.ms)}) | ${importRate === undefined ? "-" : `${ratio(importRate / cmRate)} (booksnap ÷ createMany)`} | (reference only) | - |`,
  );
  lines.push(...rssRows(r));
  lines.push(sizeRow(r));
  lines.push("");

  if (!("skipped" in r.export) || !("skipped" in r.import)) {
    lines.push(
      "Every run (seconds):",
      "",
      "| Contender | Runs | Median | Peak RSS (max of runs) |",
      "|---|---|---|---|",
    );
    const row = (name: string, s: Sample) =>
      `| ${name} | ${runsText(s)} | ${secs(s.medianMs)} | ${s.peakRssBytes.length > 0 ? fmtMb(Math.max(...s.peakRssBytes)) : "-"} |`;
    if (!("skipped" in r.export)) {
      lines.push(row("booksnap export", r.export.booksnap), row("psql \\copy TO \\| zstd -3", r.export.copy));
    }
    if (!("skipped" in r.import)) {
      lines.push(row("booksnap import", r.import.booksnap), row("psql \\copy FROM", r.import.copy));
    }
    lines.push("");
  }

  if (r.rss.length > 0) {
    lines.push(
      "Peak RSS by dataset size (one export and one import per size; the main size shows the max over its runs):",
      "",
      "| Books | Export peak RSS | Export time | Import peak RSS | Import time |",
      "|---|---|---|---|---|",
      ...r.rss.map(
        (p) =>
          `| ${int(p.books)} | ${fmtMb(p.exportPeakBytes)} | ${p.exportMs === undefined ? "-" : secs(p.exportMs)} | ${fmtMb(p.importPeakBytes)} | ${p.importMs === undefined ? "-" : secs(p.importMs)} |`,
      ),
      "",
    );
  }

  if (r.sweep.length > 0) {
    lines.push(
      `Import \`--batch-size\` sweep (${r.sweep[0]?.sample.runsMs.length ?? 0} run(s) each, ${int(r.importRows)} rows${r.importDefaultBatch ? `; default ${int(r.importDefaultBatch)}` : ""}):`,
      "",
      "| --batch-size | Time (median) | rows/s | Peak RSS |",
      "|---|---|---|---|",
      ...r.sweep.map(
        (p) =>
          `| ${int(p.batchSize)} | ${secs(p.sample.medianMs)} | ${rate(r.importRows, p.sample.medianMs)} | ${fmtMb(p.peakRssBytes)} |`,
      ),
      "",
    );
  }

  for (const [phase, profile] of Object.entries(r.profiles) as Array<[string, ProfileSummary | undefined]>) {
    if (!profile) continue;
    lines.push(
      `CPU profile of one \`booksnap ${phase}\` (node --cpu-prof, self time; ${secs(profile.totalMs)} sampled, idle included):`,
      "",
      "| Area | Self time | Share |",
      "|---|---|---|",
      ...profile.byArea.map((e) => `| ${e.name} | ${secs(e.ms)} | ${(e.share * 100).toFixed(1)} % |`),
      "",
      "| Function | Self time | Share |",
      "|---|---|---|",
      ...profile.byFunction.map(
        (e) => `| \`${e.name.replace(/\|/g, "\\|")}\` | ${secs(e.ms)} | ${(e.share * 100).toFixed(1)} % |`,
      ),
      "",
    );
  }
  for (const [phase, statements] of Object.entries(r.serverProfiles) as Array<
    [string, StatementTime[] | undefined]
  >) {
    if (!statements || statements.length === 0) continue;
    const total = statements.reduce((t, st) => t + st.ms, 0);
    lines.push(
      `Server time of the same \`booksnap ${phase}\` run by statement (pg_stat_statements, top ${statements.length}: ${secs(total)}):`,
      "",
      "| Statement | Calls | Rows | Server time |",
      "|---|---|---|---|",
      ...statements.map(
        (st) =>
          `| \`${st.query.replace(/\|/g, "\\|").replace(/`/g, "'")}\` | ${int(st.calls)} | ${int(st.rows)} | ${secs(st.ms)} |`,
      ),
      "",
    );
  }
  return lines.join("\n");
}

function rssRows(r: BenchResults): string[] {
  if (r.rss.length === 0)
    return ["| 4 | Peak RSS | not measured | | | ≤ 200 MB at 1M, flat | not measured |"];
  const largest = r.rss.at(-1) as RssPoint;
  const rows: string[] = [];
  for (const phase of ["export", "import"] as const) {
    const key = phase === "export" ? "exportPeakBytes" : "importPeakBytes";
    const points = r.rss.filter((p) => p[key] !== undefined);
    if (points.length === 0) continue;
    const top = points.at(-1) as RssPoint;
    const topBytes = top[key] as number;
    const at1M = largest.books >= 1_000_000;
    const base =
      points.find((p) => p.books * 10 === top.books) ?? (points.length > 1 ? points[0] : undefined);
    const growth = base ? topBytes / (base[key] as number) : undefined;
    const series = points.map((p) => `${int(p.books)}: ${fmtMb(p[key])}`).join(", ");
    const flat =
      growth === undefined
        ? "growth not measured"
        : `${int(base?.books ?? 0)}→${int(top.books)}: ${ratio(growth)}`;
    const verdictSize = at1M ? mark(topBytes <= RSS_LIMIT_BYTES) : "not measured at 1M";
    const verdictFlat = growth === undefined ? "not measured" : mark(growth <= FLAT_GROWTH);
    rows.push(
      `| 4 | Peak RSS, ${phase} process | ${series} | | ${flat} | ≤ 200 MB at 1M; flat (≤ ${FLAT_GROWTH}× for 10× rows) | size: ${verdictSize}; flat: ${verdictFlat} |`,
    );
  }
  return rows;
}

function sizeRow(r: BenchResults): string {
  const s = r.sizes;
  const snapshot = s.snapshotBytes === undefined ? undefined : s.snapshotBytes + (s.manifestBytes ?? 0);
  const copyText = `COPY text \\| zstd -3: ${bytesText(s.copyZstdBytes)}`;
  if (snapshot === undefined)
    return `| 5 | Snapshot size | not measured | ${copyText} | | ≤ pg_dump -Fc | not measured |`;
  const snapText = `${bytesText(snapshot)} (data ${bytesText(s.snapshotBytes as number)} + manifest ${int(s.manifestBytes ?? 0)} B)`;
  if (!s.pgDump || "skipped" in s.pgDump) {
    return `| 5 | Snapshot size | ${snapText} | pg_dump -Fc: not measured (${s.pgDump && "skipped" in s.pgDump ? s.pgDump.skipped : "?"}); ${copyText} | | ≤ pg_dump -Fc | not measured |`;
  }
  const x = snapshot / s.pgDump.bytes;
  return `| 5 | Snapshot size (4 tables) | ${snapText} | \`pg_dump -Fc\` of the 4 tables: ${bytesText(s.pgDump.bytes)} (${secs(s.pgDump.ms)}); ${copyText} | ${ratio(x)} | ≤ 1.00× | ${mark(x <= 1)} |`;
}
