// Numbers, times and durations as the console shows them: grouped digits, local times with the ISO time
// in a tooltip, and countdowns that keep their width.

const whole = new Intl.NumberFormat('en');

export function formatNumber(n: number): string {
  return whole.format(n);
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString('en-GB', { hour12: false });
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${d.toLocaleDateString('en-CA')} ${d.toLocaleTimeString('en-GB', { hour12: false })}`;
}

/** "14:59" / "1:02:03" until `iso`, or "expired". */
export function formatCountdown(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  if (!(ms > 0)) return 'expired';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function shortHash(hash: string, keep = 12): string {
  const at = hash.indexOf(':', hash.startsWith('chunk:') ? 6 : 0);
  const prefix = at >= 0 ? hash.slice(0, at + 1) : '';
  const rest = at >= 0 ? hash.slice(at + 1) : hash;
  return rest.length > keep ? `${prefix}${rest.slice(0, keep)}…` : hash;
}
