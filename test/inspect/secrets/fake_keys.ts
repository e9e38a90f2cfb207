// Clearly fake credentials for the secret-detector tests, assembled at run time from pieces so no
// literal in the repository looks like a live key to a secret scanner. Each contains "TEST" or "FAKE".

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Deterministic random-looking base62 text (mulberry32), so tests are reproducible. */
export function pseudoRandom(length: number, seed: number, alphabet = BASE62): string {
  let a = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out += alphabet[Math.floor(r * alphabet.length)];
  }
  return out;
}

const join = (...parts: string[]): string => parts.join('');

export const FAKE = {
  githubClassic: join('gh', 'p_', 'TEST', pseudoRandom(32, 1)),
  githubFineGrained: join('github', '_pat_', 'FAKE', pseudoRandom(18, 2), '_', pseudoRandom(59, 3)),
  awsAccessKeyId: join('AK', 'IA', 'TEST', pseudoRandom(12, 4, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')),
  awsSecretAccessKey: join('TEST', pseudoRandom(36, 5, `${BASE62}+/`)),
  slackBot: join('xo', 'xb-', '1234567890', '-', '0987654321', '-', 'FAKE', pseudoRandom(20, 6)),
  slackWebhook: join(
    'https://hooks.',
    'slack.com/services/',
    'TFAKE0001/BFAKE0002/',
    'TEST',
    pseudoRandom(20, 7),
  ),
  openai: join('s', 'k-', 'proj-', 'TEST', pseudoRandom(44, 8)),
  anthropic: join('s', 'k-', 'ant-', 'api03-', 'TEST', pseudoRandom(90, 9, `${BASE62}_-`)),
  stripe: join('s', 'k_', 'live_', 'TEST', pseudoRandom(28, 10)),
  azureAccountKey: join('TEST', pseudoRandom(82, 11, `${BASE62}+/`), '=='),
  gcpPrivateKeyBody: pseudoRandom(64, 12, `${BASE62}+/`),
  pemBody: pseudoRandom(64, 13, `${BASE62}+/`),
  jwt: join(
    Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
    '.',
    Buffer.from(JSON.stringify({ sub: 'test-user', note: 'fake token for tests' })).toString('base64url'),
    '.',
    pseudoRandom(43, 14, `${BASE62}_-`),
  ),
  dbPassword: join('TEST-', pseudoRandom(14, 15)),
  genericApiKey: join('FAKE', pseudoRandom(28, 16)),
};
