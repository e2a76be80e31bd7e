import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The parts of a V8 .cpuprofile (node --cpu-prof) the summary needs. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by source file or package (where the time goes, coarse). */
  byArea: ProfileEntry[];
  /** Self time by function (top entries). */
  byFunction: ProfileEntry[];
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Groups a frame's script into an area: a package, a project file, node internals or V8 pseudo-frames. */
function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1] as string;
  if (path.startsWith("node:")) return `node:${path.slice(5).split("/").slice(0, 2).join("/")}`;
  return relative(ROOT, path) || path;
}

/** Summarises the one .cpuprofile in `dir` by self time. */
export async function summariseCpuProfile(dir: string, top = 12): Promise<ProfileSummary | undefined> {
  const file = (await readdir(dir)).find((name) => name.endsWith(".cpuprofile"));
  if (!file) return undefined;
  const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id);
    if (!frame) continue;
    totalUs += us;
    const a = area(frame.url, frame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const fn = `${frame.functionName || "(anonymous)"} ${a}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const rank = (map: Map<string, number>): ProfileEntry[] =>
    [...map.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }));
  return { totalMs: totalUs / 1000, byArea: rank(areas), byFunction: rank(functions) };
}
