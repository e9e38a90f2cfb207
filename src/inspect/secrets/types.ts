// The vocabulary of the secret detector: what kinds of credential it finds, and the finding shape it
// shares with the PII detector (offsets into the caller's original text).

export const SECRET_TYPES = [
  'PRIVATE_KEY',
  'GCP_SERVICE_ACCOUNT_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AZURE_KEY',
  'GITHUB_TOKEN',
  'SLACK_TOKEN',
  'SLACK_WEBHOOK',
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'STRIPE_KEY',
  'JWT',
  'DB_CONNECTION_STRING',
  'URL_PASSWORD',
  'BEARER_TOKEN',
  'GENERIC_API_KEY',
  'PASSWORD',
] as const;

export type SecretType = (typeof SECRET_TYPES)[number];

export interface SecretFinding {
  type: SecretType;
  /** Start offset in the original text (inclusive): the secret value itself, not its label. */
  start: number;
  /** End offset in the original text (exclusive). */
  end: number;
  /** The secret's original text; only with `includeText` (never put it in a log). */
  text?: string;
  score: number;
  /** Set for types with a built-in check; none of the current types has one. */
  checksum_valid?: boolean;
}

export interface SecretDetectOptions {
  /** Types to report. Default: all of SECRET_TYPES. */
  types?: readonly SecretType[];
  /** Lowest score reported. Default 0.5. */
  minScore?: number;
  /** Copy each finding's original text into `text`. Default false. */
  includeText?: boolean;
}
