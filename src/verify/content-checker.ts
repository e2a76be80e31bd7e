import { SnapshotIntegrityError } from "../errors.js";
import { canonicalJson, ModelDigest } from "../snapshot/canonical.js";
import type { RawLine } from "../snapshot/data-reader.js";
import type { SnapshotManifestV1 as SnapshotManifest } from "../snapshot/manifest.js";
import { MODEL_NAMES, type ModelName, modelSpec, type SnapshotRecord } from "../snapshot/models.js";
import { decodeRecordLine } from "../snapshot/record-line.js";
import { validateRecord } from "../snapshot/validate.js";
import { checkDataSize } from "./data-file.js";

export interface CheckedRecord {
  lineNumber: number;
  model: ModelName;
  record: SnapshotRecord;
}

/**
 * The models of a data file come in foreign-key order (User, Book, ReadingList, …), and within a
 * model the ids ascend: a record of a model after records of a later one, or an id below the one
 * before it, is an integrity error. Used by verify and, while it streams the file, by import, so
 * both refuse the same files. (An id equal to the one before is a duplicate: verify refuses it
 * here, import rejects that record with a reason and goes on.)
 */
export class ModelOrderCheck {
  private index = 0;
  private lastId: number | undefined;

  /** Checks the next line's model; true when it starts a new model (its ids start over). */
  accept(lineNumber: number, model: ModelName): boolean {
    const index = MODEL_NAMES.indexOf(model);
    if (index < this.index) {
      throw fail(
        "E_RECORD_ORDER",
        lineNumber,
        model,
        `${model} record after ${MODEL_NAMES[this.index]} records (models must come in the order ${MODEL_NAMES.join(", ")})`,
      );
    }
    const started = index > this.index;
    if (started) this.lastId = undefined;
    this.index = index;
    return started;
  }

  /** Checks the id of the record `accept` just took; `duplicates` says whether an equal id passes. */
  acceptId(lineNumber: number, model: ModelName, id: number, duplicates: "allow" | "refuse"): void {
    const last = this.lastId;
    if (last !== undefined && (id < last || (id === last && duplicates === "refuse"))) {
      throw fail(
        "E_RECORD_ORDER",
        lineNumber,
        model,
        `id: ${id} is not greater than the previous ${model} id ${last} (ids must be unique and ascending)`,
      );
    }
    this.lastId = id;
  }
}

/**
 * Checks a snapshot's records one line at a time against its manifest: each line decodes and
 * validates, models come in foreign-key order with ascending unique ids, every reference points
 * at a record earlier in the file, and counts and digests match. Holds only the ids seen (for
 * reference checks), never records. The first problem throws a SnapshotIntegrityError naming
 * the line, model and field.
 */
export class SnapshotContentChecker {
  private readonly digests = new Map<ModelName, ModelDigest>(MODEL_NAMES.map((m) => [m, new ModelDigest()]));
  private readonly ids = new Map<ModelName, Set<number>>(MODEL_NAMES.map((m) => [m, new Set<number>()]));
  private readonly order = new ModelOrderCheck();
  private lines = 0;
  private uncompressedBytes = 0;

  constructor(private readonly manifest: SnapshotManifest) {}

  /** Decodes, validates and checks one raw data line. */
  acceptLine(line: RawLine & { overLong?: boolean }): CheckedRecord {
    this.lines += 1;
    this.uncompressedBytes += line.bytes.length + 1;
    if (line.overLong) {
      throw fail("E_LINE_TOO_LONG", line.lineNumber, undefined, "line is longer than the 1 MiB limit");
    }
    const decoded = decodeRecordLine(line.bytes);
    if (!decoded.ok) throw fail("E_RECORD_DECODE", line.lineNumber, decoded.model, decoded.reason);
    return this.acceptRecord(line.lineNumber, decoded.model, decoded.record);
  }

  /** Validates and checks one decoded record. */
  acceptRecord(lineNumber: number, model: ModelName, raw: Record<string, unknown>): CheckedRecord {
    const valid = validateRecord(model, raw);
    if (!valid.ok) throw fail("E_RECORD_INVALID", lineNumber, model, valid.reason);
    const record = valid.record;
    this.order.accept(lineNumber, model);
    const id = record.id as number;
    this.order.acceptId(lineNumber, model, id, "refuse");
    const spec = modelSpec(model);
    for (const field of spec.fields) {
      if (!field.references) continue;
      const target = record[field.name];
      if (target === null) continue;
      if (!this.ids.get(field.references)?.has(target as number)) {
        throw fail(
          "E_DANGLING_REFERENCE",
          lineNumber,
          model,
          `${field.name}: ${field.references} ${target} is not in the snapshot`,
        );
      }
    }
    this.ids.get(model)?.add(id);
    this.digests.get(model)?.addCanonical(canonicalJson(spec, record));
    return { lineNumber, model, record };
  }

  /** Compares what was seen with the manifest's counts, digests and sizes; returns the counts. */
  finish(): Record<ModelName, number> {
    const counts = {} as Record<ModelName, number>;
    for (const model of MODEL_NAMES) {
      const digest = this.digests.get(model) as ModelDigest;
      const expected = this.manifest.models[model];
      counts[model] = digest.count;
      if (digest.count !== expected.count) {
        throw new SnapshotIntegrityError(
          "E_COUNT_MISMATCH",
          `${model}: the data file holds ${digest.count} records, the manifest says ${expected.count}`,
          { details: { model, expected: expected.count, actual: digest.count } },
        );
      }
      const actual = digest.digest();
      if (actual !== expected.digest) {
        throw new SnapshotIntegrityError(
          "E_DIGEST_MISMATCH",
          `${model}: content digest does not match the manifest`,
          {
            details: { model, expected: expected.digest, actual },
          },
        );
      }
    }
    checkDataSize({ lines: this.lines, uncompressedBytes: this.uncompressedBytes }, this.manifest.data);
    return counts;
  }
}

function fail(code: string, line: number, model: string | undefined, reason: string): SnapshotIntegrityError {
  const field = /^([A-Za-z0-9_.]+):/.exec(reason)?.[1];
  return new SnapshotIntegrityError(code, `Line ${line}${model ? ` (${model})` : ""}: ${reason}`, {
    hint: "The snapshot is damaged or was not written by booksnap; get a fresh copy.",
    details: { line, model, field },
  });
}
