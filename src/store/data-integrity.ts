import { SnapshotIntegrityError } from "../errors.js";

/** The store's data object differs in size from its manifest (cut short, or longer than declared). */
export function sizeMismatch(where: string, actual: number, expected: number): SnapshotIntegrityError {
  return new SnapshotIntegrityError(
    "E_DATA_SIZE",
    `Data object ${where} has ${actual > expected ? "more than " : ""}${actual} bytes, the manifest says ${expected}`,
    {
      hint: "The object is incomplete or altered; export the snapshot again.",
      details: { expected, actual },
    },
  );
}

/** The store's data object has the declared size but other bytes. */
export function shaMismatch(where: string, expected: string, actual: string): SnapshotIntegrityError {
  return new SnapshotIntegrityError(
    "E_DATA_SHA256",
    `Data object ${where} does not match the manifest's SHA-256`,
    {
      hint: "The object was corrupted or altered in the store; export the snapshot again.",
      details: { expected, actual },
    },
  );
}
