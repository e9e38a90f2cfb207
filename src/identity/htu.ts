// The `htu` of a DPoP proof compared as RFC 9449 §4.3 asks: the request URI without query and
// fragment, both sides normalised by RFC 3986 §6.2.2–6.2.3 (case of scheme and host, default port,
// dot segments, percent-encoding case, unreserved characters decoded), so that equal URIs compare equal
// however each side spelt them.

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** The normalised form of an absolute http(s) URI without query and fragment; null when it is not one. */
export function normaliseHtu(uri: string): string | null {
  if (typeof uri !== 'string' || uri.length > 4096) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path === '' ? '/' : path}`;
}
