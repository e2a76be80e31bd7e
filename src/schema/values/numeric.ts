/**
 * numeric values as PostgreSQL prints them (`-12.340`, `NaN`, `Infinity`): no exponent, and
 * within the column's declared precision and scale (exactly `scale` fractional digits), since
 * PostgreSQL would round a longer fraction (a different value) or refuse a larger number.
 */

const NUMERIC = /^-?(?:0|[1-9]\d*)(?:\.(\d+))?$/;
/** Digits an unconstrained numeric holds before and after the decimal point. */
const MAX_INTEGER_DIGITS = 131_072;
const MAX_FRACTION_DIGITS = 16_383;

export function checkNumeric(text: string, precision?: number, scale?: number): string | undefined {
  if (text === "NaN") return undefined;
  if (text === "Infinity" || text === "-Infinity") {
    // PostgreSQL 14+ stores infinities in unconstrained numeric columns only.
    return precision === undefined ? undefined : `numeric(${precision},${scale ?? 0}) cannot hold ${text}`;
  }
  const m = NUMERIC.exec(text);
  if (!m) return "expected numeric as PostgreSQL prints it (e.g. -12.340, NaN)";
  const fraction = m[1] ?? "";
  const point = text.indexOf(".");
  const integerPart = text.slice(text.startsWith("-") ? 1 : 0, point === -1 ? undefined : point);
  const integerDigits = integerPart === "0" ? 0 : integerPart.length;
  if (precision === undefined) {
    if (integerDigits > MAX_INTEGER_DIGITS || fraction.length > MAX_FRACTION_DIGITS)
      return "out of range for numeric";
    return undefined;
  }
  const s = scale ?? 0;
  const type = `numeric(${precision},${s})`;
  // PostgreSQL prints a constrained numeric with exactly `scale` fractional digits; another
  // count is either rounded on input or not what export writes.
  if (fraction.length !== Math.max(s, 0)) return `${type} prints exactly ${Math.max(s, 0)} fractional digits`;
  // Negative scale (PostgreSQL 15+): rounds to 10^-s, so those last integer digits must be 0.
  if (s < 0 && integerDigits > 0 && !/^0+$/.test(integerPart.slice(-Math.min(-s, integerPart.length)))) {
    return `${type} rounds to a multiple of 10^${-s}`;
  }
  // The value must be below 10^(precision - scale).
  const room = precision - s;
  if (integerDigits > 0) return integerDigits <= room ? undefined : `too large for ${type}`;
  if (room > 0) return undefined;
  // Scale above precision: the first (scale - precision) fractional digits must be 0.
  const leadingZeros = fraction.length - fraction.replace(/^0+/, "").length;
  return leadingZeros >= -room || /^0*$/.test(fraction) ? undefined : `too large for ${type}`;
}
