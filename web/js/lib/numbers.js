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
