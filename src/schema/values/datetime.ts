/**
 * Format-2 date/time values as PostgreSQL prints them under DateStyle 'ISO, YMD', TimeZone
 * 'UTC' and IntervalStyle 'postgres' (settings.ts): the syntax and the ranges PostgreSQL accepts,
 * so a record that would not load, or would load as another value, is refused before any write.
 * Each function returns the reason a text is refused, or undefined.
 */

/** `YYYY-MM-DD`, optionally ` HH:MM:SS[.ffffff]` (then `+00` for timestamptz), optionally ` BC`. */
const DATE_TIME = /^(\d{4,7})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(?:\.(\d{0,5}[1-9]))?(\+00)?)?( BC)?$/;
/** `HH:MM:SS[.ffffff]` then, for timetz, an offset `±HH[:MM[:SS]]`. */
const TIME = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{0,5}[1-9]))?(?:([+-])(\d\d)(?::(\d\d)(?::(\d\d))?)?)?$/;
/** `[N year[s]] [N mon[s]] [N day[s]] [[+-]HH:MM:SS[.ffffff]]`, single spaces between parts. */
const INTERVAL =
  /^(?:([+-]?\d{1,10}) (years?)(?: |$))?(?:([+-]?\d{1,10}) (mons?)(?: |$))?(?:([+-]?\d{1,10}) (days?)(?: |$))?(?:[+-]?\d{2,10}:[0-5]\d:[0-5]\d(?:\.(\d{0,5}[1-9]))?)?$/;

/** Julian day 0 (4714-11-24 BC, astronomical year -4713) is the first date PostgreSQL accepts. */
const FIRST_YEAR = -4713;
/** The last year of `date`, and of timestamp/timestamptz (both to December 31st). */
const LAST_DATE_YEAR = 5_874_897;
const LAST_TIMESTAMP_YEAR = 294_276;
const INT32_MAX = 2_147_483_647;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(astronomicalYear: number): boolean {
  return astronomicalYear % 4 === 0 && (astronomicalYear % 100 !== 0 || astronomicalYear % 400 === 0);
}

export type DateTimeKind = "timestamp" | "timestamptz" | "date";

/**
 * date, timestamp, timestamptz: `infinity`, `-infinity`, or ISO output within PostgreSQL's
 * range (4714-11-24 BC to 5874897-12-31 for date, to 294276-12-31 for timestamps).
 * `precision`: most fractional digits the column keeps (more would be rounded on input).
 */
export function checkDateTime(kind: DateTimeKind, text: string, precision?: number): string | undefined {
  if (commonTimestamp(kind, text, precision)) return undefined;
  if (text === "infinity" || text === "-infinity") return undefined;
  const m = DATE_TIME.exec(text);
  const hasTime = m?.[4] !== undefined;
  const hasZone = m?.[8] !== undefined;
  if (!m || hasTime !== (kind !== "date") || hasZone !== (kind === "timestamptz")) {
    return kind === "date"
      ? "expected a date as YYYY-MM-DD[ BC] or ±infinity"
      : `expected a ${kind} as YYYY-MM-DD HH:MM:SS[.ffffff]${kind === "timestamptz" ? "+00" : ""}[ BC] or ±infinity`;
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const bc = m[9] !== undefined;
  if (year === 0) return "year 0 does not exist (1 BC precedes 1 AD)";
  // PostgreSQL prints years with at least 4 digits and no more.
  if ((m[1] as string).length > 4 && (m[1] as string).startsWith("0")) return "year has leading zeros";
  const astronomical = bc ? 1 - year : year;
  if (month < 1 || month > 12) return `month ${m[2]} out of range`;
  const days = month === 2 && isLeap(astronomical) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day < 1 || day > days) return `day ${m[3]} out of range for month ${m[2]}`;
  if (
    astronomical < FIRST_YEAR ||
    (astronomical === FIRST_YEAR && (month < 11 || (month === 11 && day < 24)))
  ) {
    return "before 4714-11-24 BC, the first date PostgreSQL accepts";
  }
  const lastYear = kind === "date" ? LAST_DATE_YEAR : LAST_TIMESTAMP_YEAR;
  if (astronomical > lastYear) return `after ${lastYear}-12-31, the last ${kind} PostgreSQL accepts`;
  if (!hasTime) return undefined;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return "time of day out of range";
  return checkPrecision(m[7], precision);
}

const ZERO = 48;

/** Two ASCII digits at `i` as a number, or -1. */
function twoDigits(text: string, i: number): number {
  const a = text.charCodeAt(i) - ZERO;
  const b = text.charCodeAt(i + 1) - ZERO;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Fast path for the usual value, a timestamp between 1000 and 9999 AD
 * (`YYYY-MM-DD HH:MM:SS[.f…]`, timestamptz `+00` after it), checked without a regex or
 * allocation: validation runs for every value of every record. Anything else takes the full check.
 */
function commonTimestamp(kind: DateTimeKind, text: string, precision: number | undefined): boolean {
  if (kind === "date") return false;
  let end = text.length;
  if (kind === "timestamptz") {
    if (!text.endsWith("+00")) return false;
    end -= 3;
  }
  if (end < 19 || end > 26 || end === 20) return false;
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (century < 10 || yearOfCentury < 0 || month < 1 || month > 12 || day < 1) return false;
  const year = century * 100 + yearOfCentury;
  if (text[4] !== "-" || text[7] !== "-" || text[10] !== " " || text[13] !== ":" || text[16] !== ":")
    return false;
  const days = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day > days) return false;
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  if (end === 19) return true;
  if (text[19] !== "." || text.charCodeAt(end - 1) === ZERO) return false;
  if (precision !== undefined && end - 20 > precision) return false;
  for (let i = 20; i < end; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return false;
  }
  return true;
}

/** time and timetz: `HH:MM:SS[.ffffff]` (24:00:00 included), timetz with an offset up to ±15:59:59. */
export function checkTime(kind: "time" | "timetz", text: string, precision?: number): string | undefined {
  const m = TIME.exec(text);
  if (!m || (m[5] !== undefined) !== (kind === "timetz")) {
    return `expected a ${kind} as HH:MM:SS[.ffffff]${kind === "timetz" ? "±HH[:MM[:SS]]" : ""}`;
  }
  const hour = Number(m[1]);
  if (hour > 24 || Number(m[2]) > 59 || Number(m[3]) > 59) return "time of day out of range";
  if (hour === 24 && (m[2] !== "00" || m[3] !== "00" || m[4] !== undefined))
    return "time of day after 24:00:00";
  if (m[5] !== undefined && (Number(m[6]) > 15 || Number(m[7] ?? 0) > 59 || Number(m[8] ?? 0) > 59)) {
    return "time zone offset out of range (at most ±15:59:59)";
  }
  return checkPrecision(m[4], precision);
}

/** interval in IntervalStyle 'postgres' (`1 year 2 mons -3 days +04:05:06.5`), or ±infinity (PostgreSQL 17+). */
export function checkInterval(text: string, precision?: number): string | undefined {
  if (text === "infinity" || text === "-infinity") return undefined;
  const m = text.length === 0 || text.endsWith(" ") ? null : INTERVAL.exec(text);
  if (!m) return "expected an interval as [N years] [N mons] [N days] [±HH:MM:SS[.ffffff]]";
  for (const i of [1, 3, 5]) {
    const count = m[i];
    if (count === undefined) continue;
    const n = Number(count);
    if (n > INT32_MAX || n < -INT32_MAX - 1) return `interval field ${count} out of range`;
    const unit = m[i + 1] as string;
    // PostgreSQL writes the unit singular for exactly 1 and plural otherwise.
    if (unit.endsWith("s") !== (n !== 1)) return `"${count} ${unit}" is not how PostgreSQL writes it`;
  }
  return checkPrecision(m[7], precision);
}

function checkPrecision(fraction: string | undefined, precision: number | undefined): string | undefined {
  if (fraction === undefined || precision === undefined || fraction.length <= precision) return undefined;
  return `more fractional digits than the column's precision (${precision})`;
}
