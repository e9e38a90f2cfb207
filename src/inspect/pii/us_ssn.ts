// Which nine-digit numbers the US Social Security Administration can have issued: since the 2011
// randomisation any area except 000, 666 and 900-999, any group except 00, any serial except 0000.
// And IRS ITINs, which take the 9XX areas the SSA never issues.

/** True when area-group-serial is an issuable SSN and not one of the publicised sample numbers. */
export function isUsSsnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (area.length !== 3 || group.length !== 2 || serial.length !== 4) return false;
  if (a === 0 || a === 666 || a >= 900) return false;
  if (Number(group) === 0 || Number(serial) === 0) return false;
  const all = area + group + serial;
  if (/^(\d)\1{8}$/.test(all)) return false;
  // Numbers printed on sample cards and in advertising, invalidated by the SSA.
  return all !== '078051120' && all !== '219099999' && all !== '123456789';
}

/**
 * True for an IRS Individual Taxpayer Identification Number: area 900-999 and group 50-65, 70-88,
 * 90-92 or 94-99. Same shape and sensitivity as an SSN, so it is reported as US_SSN.
 */
export function isUsItin(area: string, group: string, serial: string): boolean {
  if (area.length !== 3 || group.length !== 2 || serial.length !== 4 || area[0] !== '9') return false;
  const g = Number(group);
  return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99);
}
