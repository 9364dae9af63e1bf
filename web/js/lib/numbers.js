// Numbers of slider questions as people read them: 0.0000005 rather than 5e-7, and all the
// digits of 123456789012.5. Both the host page and the player page show slider values.

// Number.prototype.toFixed takes at most 100 fraction digits.
const MAX_PLACES = 100;
// Any decimal of up to 15 significant digits comes back unchanged from a double (IEEE 754
// binary64), so rounding to 15 digits removes float noise such as the 4 of
// 0.30000000000000004 and keeps every digit of such a decimal.
const SIGNIFICANT_DIGITS = 15;

/** Return the count of digits after the decimal point of `number`, 7 for both 1e-7 and 0.0000001. */
export function decimals(number) {
  const [mantissa, exponent = "0"] = String(Math.abs(Number(number))).toLowerCase().split("e");
  const fraction = mantissa.includes(".") ? mantissa.split(".")[1].length : 0;
  return Math.min(MAX_PLACES, Math.max(0, fraction - Number(exponent)));
}

/** Return the decimal places a slider's values need: those of its min or its step, whichever has more. */
export function sliderPlaces(view) {
  return Math.max(decimals(view.min ?? 0), decimals(view.step ?? 1));
}

/**
 * Format `value` in plain decimal notation with at least `places` digits after the point,
 * and more where the value has them. Values of 1e21 and above keep the exponent that
 * toFixed gives them.
 */
export function formatDecimal(value, places = 0) {
  const number = Number(value);
  if (!Number.isFinite(number)) {
    return String(number);
  }
  const clean = Number(number.toPrecision(SIGNIFICANT_DIGITS));
  return clean.toFixed(Math.min(MAX_PLACES, Math.max(places, decimals(clean))));
}

/**
 * Return the decimal `text` (such as "-1.95" or "5e-7") as {count, places}: the BigInt
 * count of 10^-places it equals exactly, or null when it is no finite number.
 */
export function parseDecimal(text) {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?\s*$/i.exec(String(text));
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) {
    return null;
  }
  const [, sign, whole, fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  let places = fraction.length - exponent;
  let count = BigInt((whole || "0") + fraction);
  if (places < 0) {
    count *= 10n ** BigInt(-places);
    places = 0;
  }
  if (places > MAX_PLACES) {
    return null;
  }
  return { count: sign === "-" ? -count : count, places };
}

/** Return `value` as a BigInt count of 10^-places, such as 12n for 1.2 with 1 place. */
export function scaledCount(value, places) {
  return parseDecimal(Number(value).toFixed(places)).count;
}

/** Format a BigInt count of 10^-places as a decimal, the inverse of scaledCount. */
export function formatScaled(count, places) {
  const sign = count < 0n ? "-" : "";
  const digits = (count < 0n ? -count : count).toString().padStart(places + 1, "0");
  if (places === 0) {
    return sign + digits;
  }
  return `${sign}${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

/** Divide BigInts and round down, for a positive divisor. */
export function floorDivide(dividend, divisor) {
  const quotient = dividend / divisor;
  return quotient * divisor > dividend ? quotient - 1n : quotient;
}

/** Divide BigInts and round up, for a positive divisor. */
export function ceilDivide(dividend, divisor) {
  return -floorDivide(-dividend, divisor);
}

/**
 * Snap `value` (a number or its text) to the slider `view`'s nearest step, halves rounded up,
 * as the server does. The sums are exact decimals of the number as JavaScript prints it,
 * which is the same shortest form that the server reads. Returns the step as a number, or
 * NaN when `value` is not a number.
 */
export function snapToStep(value, view) {
  const typed = parseDecimal(typeof value === "number" ? String(value) : value);
  const places = sliderPlaces(view);
  if (typed === null) {
    return Number.NaN;
  }
  // The slider's numbers have at most `places` decimals, so they are read at that many, since
  // toFixed with more would show the double's binary noise, and then brought to `scale`.
  const scale = Math.max(typed.places, places);
  const toScale = (count, own) => count * 10n ** BigInt(scale - own);
  const minimum = toScale(scaledCount(view.min, places), places);
  const step = toScale(scaledCount(view.step || 1, places), places);
  const offset = toScale(typed.count, typed.places) - minimum;
  // floor((value - min) / step + 1/2), in whole numbers: floor((2 * offset + step) / (2 * step)).
  const steps = floorDivide(2n * offset + step, 2n * step);
  return Number(formatScaled(minimum + steps * step, scale));
}
