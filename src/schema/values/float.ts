/**
 * float4/float8 text exactly as PostgreSQL 12+ prints it with extra_float_digits > 0: the
 * shortest decimal that reads back to the same value (Ryu; JavaScript's Number#toExponential()
 * picks the same digits), in fixed notation for decimal exponents from -4 up to 5 (float4) or
 * 14 (float8), otherwise `d.ddde±XX`; `NaN`, `Infinity`, `-Infinity`, `-0`.
 */

/** Largest decimal exponent printed in fixed notation (PostgreSQL's f2s.c / d2s.c, like printf %g). */
const FIXED_BELOW = { float4: 6, float8: 15 } as const;
/** float4 needs at most 9 significant digits to round-trip. */
const FLOAT4_MAX_DIGITS = 9;

export type FloatKind = "float4" | "float8";

/** PostgreSQL's text for `value` (for float4, a value Math.fround already rounded). */
export function pgFloatText(value: number, kind: FloatKind): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const scientific = kind === "float4" ? shortestFloat4(value) : value.toExponential();
  const e = scientific.indexOf("e");
  const exponent = Number(scientific.slice(e + 1));
  const digits = scientific.slice(value < 0 ? 1 : 0, e).replace(".", "");
  const sign = value < 0 ? "-" : "";
  if (exponent >= -4 && exponent < FIXED_BELOW[kind]) {
    if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
    if (digits.length <= exponent + 1) return `${sign}${digits}${"0".repeat(exponent + 1 - digits.length)}`;
    return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  }
  const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  const magnitude = Math.abs(exponent);
  return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${magnitude < 10 ? "0" : ""}${magnitude}`;
}

/**
 * The fewest significant digits that read back to the same float4, in toExponential form. Like
 * Ryu, a value exactly halfway between two such decimals takes the even one (toExponential
 * rounds halves up: 2435564.25 is 2.4355642e+06, not 2.4355643e+06).
 */
function shortestFloat4(value: number): string {
  const magnitude = Math.abs(value);
  for (let digits = 1; digits < FLOAT4_MAX_DIGITS; digits++) {
    const text = magnitude.toExponential(digits - 1);
    if (Math.fround(Number(text)) !== magnitude) continue;
    return (value < 0 ? "-" : "") + evenOnTie(magnitude, text);
  }
  return value.toExponential(FLOAT4_MAX_DIGITS - 1);
}

/** `text` (positive, toExponential form), or the decimal one unit below it when `value` lies exactly halfway and that one is even. */
function evenOnTie(value: number, text: string): string {
  const e = text.indexOf("e");
  const mantissa = text.slice(0, e);
  const last = Number(mantissa[mantissa.length - 1]);
  if (last % 2 === 0) return text;
  const below = `${mantissa.slice(0, -1)}${last - 1}${text.slice(e)}`;
  if (Math.fround(Number(below)) !== value) return text;
  // Exactly halfway: value = (below + 0.5 unit), compared as integers.
  const digits = BigInt(mantissa.replace(".", ""));
  const unitExponent = Number(text.slice(e + 1)) - (mantissa.length > 1 ? mantissa.length - 2 : 0);
  const { numerator, exponent2 } = exactBinary(value);
  // 2 * numerator * 2^exponent2 == (2 * digitsBelow + 1) * 10^unitExponent
  let left = 2n * numerator;
  let right = 2n * (digits - 1n) + 1n;
  if (exponent2 >= 0) left <<= BigInt(exponent2);
  else right <<= BigInt(-exponent2);
  if (unitExponent >= 0) right *= 10n ** BigInt(unitExponent);
  else left *= 10n ** BigInt(-unitExponent);
  return left === right ? below : text;
}

/** A finite positive double as numerator * 2^exponent2, exactly. */
function exactBinary(value: number): { numerator: bigint; exponent2: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  return biased === 0
    ? { numerator: fraction, exponent2: -1074 }
    : { numerator: fraction | (1n << 52n), exponent2: biased - 1075 };
}

/** Reason a float text is not what PostgreSQL prints for a value it holds, or undefined. */
export function checkFloat(text: string, kind: FloatKind): string | undefined {
  const parsed = Number(text);
  const value = kind === "float4" ? Math.fround(parsed) : parsed;
  if (pgFloatText(value, kind) === text) return undefined;
  if (!Number.isNaN(parsed) && !Number.isFinite(value) && Number.isFinite(parsed))
    return `out of range for ${kind}`;
  if (value === 0 && /[1-9]/.test(text.split(/e/i)[0] ?? ""))
    return `out of range for ${kind} (underflows to 0)`;
  return `expected ${kind} as PostgreSQL prints it (e.g. 1.5, -0, 1e+30, NaN, -Infinity), not ${JSON.stringify(text.slice(0, 40))}`;
}
