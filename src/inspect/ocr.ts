// Text out of images, so that an instruction hidden in a screenshot is inspected like any other text.
// Tesseract runs as a child process (Debian's `tesseract-ocr`) with a time and output bound; where it
// is not installed the caller learns so and must treat the image as suspect. No network, no model
// download: Tesseract's own installed language data only.

import { execFile, spawn } from 'node:child_process';

/** Image formats accepted, by media type, each with the magic bytes its data must start with. */
export const IMAGE_TYPES: Readonly<Record<string, readonly number[][]>> = {
  'image/png': [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  'image/jpeg': [[0xff, 0xd8, 0xff]],
  'image/gif': [
    [0x47, 0x49, 0x46, 0x38, 0x37, 0x61],
    [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
  ],
  'image/tiff': [
    [0x49, 0x49, 0x2a, 0x00],
    [0x4d, 0x4d, 0x00, 0x2a],
  ],
  'image/bmp': [[0x42, 0x4d]],
  'image/webp': [[0x52, 0x49, 0x46, 0x46]],
};

/** True when `data` starts as the media type says it does (never trust a declared type alone). */
export function matchesMediaType(mediaType: string, data: Uint8Array): boolean {
  const signatures = IMAGE_TYPES[mediaType];
  if (!signatures) return false;
  const ok = signatures.some((sig) => sig.length <= data.length && sig.every((b, i) => data[i] === b));
  // WebP is RIFF....WEBP.
  if (ok && mediaType === 'image/webp')
    return data.length >= 12 && Buffer.from(data.subarray(8, 12)).toString('latin1') === 'WEBP';
  return ok;
}

export type OcrResult =
  | { available: true; engine: string; text: string; truncated: boolean }
  | { available: false; reason: string };

export interface OcrOptions {
  /** Kill Tesseract after this long; default 15 s. */
  timeoutMs?: number;
  /** Keep at most this many characters of recognised text; default 64 Ki. */
  maxChars?: number;
  /** The executable; default `tesseract` on PATH. */
  command?: string;
}

const versions = new Map<string, Promise<string | null>>();

/** "tesseract 5.3.0", or null when Tesseract cannot be run here. Asked once per command per process. */
export function tesseractVersion(command = 'tesseract'): Promise<string | null> {
  let version = versions.get(command);
  if (version) return version;
  version = new Promise((resolve) =>
    execFile(command, ['--version'], { timeout: 5_000 }, (error, stdout, stderr) => {
      if (error) return resolve(null);
      const first = `${stdout}${stderr}`.split('\n')[0]?.trim() ?? '';
      resolve(/^tesseract \S+/.test(first) ? first : null);
    }),
  );
  versions.set(command, version);
  return version;
}

/**
 * Recognises the text of one image. Resolves `{available: false, reason}` rather than rejecting when
 * Tesseract is missing, fails, or runs out of time: the caller then treats the image as suspect.
 */
export async function recogniseText(image: Uint8Array, options: OcrOptions = {}): Promise<OcrResult> {
  const command = options.command ?? 'tesseract';
  const engine = await tesseractVersion(command);
  if (!engine)
    return {
      available: false,
      reason: 'OCR is unavailable: Tesseract is not installed (Debian: tesseract-ocr)',
    };
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxChars = options.maxChars ?? 64 * 1024;
  return new Promise((resolve) => {
    const child = spawn(command, ['stdin', 'stdout'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let text = '';
    let truncated = false;
    let settled = false;
    const finish = (result: OcrResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ available: false, reason: `OCR failed: Tesseract took longer than ${timeoutMs} ms` });
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (text.length + chunk.length > maxChars) {
        text += chunk.slice(0, maxChars - text.length);
        truncated = true;
        child.kill('SIGKILL');
      } else text += chunk;
    });
    child.on('error', (e) => finish({ available: false, reason: `OCR failed: ${e.message}` }));
    child.on('close', (code) => {
      if (truncated || code === 0) finish({ available: true, engine, text: text.trim(), truncated });
      else finish({ available: false, reason: `OCR failed: Tesseract exited with code ${code}` });
    });
    child.stdin.on('error', () => {}); // Tesseract may stop reading early on a bad image.
    child.stdin.end(image);
  });
}
