import { readFile } from "node:fs/promises";
import { carriedColumns } from "../../src/schema/description.js";
import { readDataLines } from "../../src/snapshot/data-reader.js";
import { parseManifest, type SnapshotManifestV2 } from "../../src/snapshot/manifest.js";
import { decodeRowLine } from "../../src/snapshot/row-line.js";

/** A format-2 snapshot's manifest (checksum checked); fails the test on format 1. */
export async function readManifestV2(manifestPath: string): Promise<SnapshotManifestV2> {
  const manifest = parseManifest(await readFile(manifestPath, "utf8"), manifestPath);
  if (manifest.formatVersion !== 2) throw new Error(`expected format 2, got ${manifest.formatVersion}`);
  return manifest;
}

/** Every row of a format-2 data file, by table, in file order, as objects keyed by column name. */
export async function readRowsByTable(
  dataPath: string,
  manifest: SnapshotManifestV2,
): Promise<Record<string, Array<Record<string, unknown>>>> {
  const tables = manifest.schema.description.tables;
  const layout = new Map(tables.map((t) => [t.name, carriedColumns(t).length]));
  const names = new Map(tables.map((t) => [t.name, carriedColumns(t).map((c) => c.name)]));
  const out: Record<string, Array<Record<string, unknown>>> = Object.fromEntries(
    tables.map((t) => [t.name, []]),
  );
  for await (const line of readDataLines(dataPath)) {
    const decoded = decodeRowLine(line.bytes, layout);
    if (!decoded.ok) throw new Error(decoded.reason);
    const columns = names.get(decoded.table) as string[];
    out[decoded.table]?.push(Object.fromEntries(columns.map((c, i) => [c, decoded.row[i]])));
  }
  return out;
}
