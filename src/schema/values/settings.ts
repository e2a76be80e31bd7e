/**
 * Session settings under which format-2 values are rendered (export) and read back (import,
 * verification). Each one pins a text output that would otherwise follow the server's or the
 * role's configuration, so the same database gives the same bytes everywhere.
 */
export interface SessionSetting {
  /** GUC name as `SET` takes it. */
  name: string;
  /** Value as `SET name = <value>` takes it (already quoted where needed). */
  value: string;
}

export const EXPORT_SESSION_SETTINGS: readonly SessionSetting[] = Object.freeze([
  // date/timestamp output `1999-01-08 04:05:06`, input read year-month-day.
  { name: "DateStyle", value: "'ISO, YMD'" },
  // timestamptz prints as UTC (`+00`) whatever the server's or the role's zone.
  { name: "TimeZone", value: "'UTC'" },
  // interval output `1 year 2 mons -3 days +04:05:06.5` (the other styles lose nothing but differ).
  { name: "IntervalStyle", value: "'postgres'" },
  // > 0 selects the shortest text that reads back to the same float (PostgreSQL 12+).
  { name: "extra_float_digits", value: "1" },
  // bytea as `\x0aff…`: one text form for every byte value.
  { name: "bytea_output", value: "'hex'" },
]);

/** `SET …;` statements applying EXPORT_SESSION_SETTINGS to a session (`local`: SET LOCAL, this transaction only). */
export function sessionSettingsSql(options: { local?: boolean } = {}): string {
  const set = options.local ? "SET LOCAL" : "SET";
  return EXPORT_SESSION_SETTINGS.map((s) => `${set} ${s.name} = ${s.value};`).join(" ");
}
