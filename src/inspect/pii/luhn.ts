// The Luhn (mod 10) check digit test that every payment card number satisfies (ISO/IEC 7812-1).

/** True when the digit string passes the Luhn check. Requires `digits` to contain only 0-9. */
export function isLuhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}
