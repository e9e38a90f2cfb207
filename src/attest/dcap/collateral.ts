// DCAP collateral as Phala-Network/dcap-qvl's QuoteCollateralV3 serialises it (PEM issuer chains,
// hex CRLs, TCB info and QE identity as the exact JSON text Intel signed, hex signatures), and the
// shapes of the two signed JSON documents (Intel PCS API v4: TCB info v3, enclave identity v2).

import { z } from 'zod';
import { AttestError } from '../errors.js';

const MAX_FIELD = 1024 * 1024;
const pem = z.string().min(1).max(MAX_FIELD);
const hex = (length?: number) =>
  z
    .string()
    .max(MAX_FIELD)
    .regex(/^(?:[0-9a-fA-F]{2})+$/, 'hex')
    .refine((s) => length === undefined || s.length === 2 * length, `${length} bytes of hex`);

const CollateralSchema = z.strictObject({
  pck_crl_issuer_chain: pem,
  root_ca_crl: hex(),
  pck_crl: hex(),
  tcb_info_issuer_chain: pem,
  tcb_info: z.string().min(2).max(MAX_FIELD),
  tcb_info_signature: hex(64),
  qe_identity_issuer_chain: pem,
  qe_identity: z.string().min(2).max(MAX_FIELD),
  qe_identity_signature: hex(64),
});
export type DcapCollateral = z.infer<typeof CollateralSchema>;

export const TCB_STATUSES = [
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
] as const;
export type TcbStatus = (typeof TCB_STATUSES)[number];

const isoTime = z.iso.datetime({ offset: false });
const status = z.enum(TCB_STATUSES);
const advisories = z.array(z.string().max(64)).max(256).optional();
const svn = z.number().int().min(0).max(255);
const components = z.array(z.object({ svn }).loose()).length(16);
const hexField = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${2 * bytes}}$`));
/** Intel's TCB level lists share one shape around their own `tcb` object. */
const tcbLevels = <T extends z.ZodType>(tcb: T) =>
  z
    .array(z.object({ tcb, tcbDate: isoTime, tcbStatus: status, advisoryIDs: advisories }))
    .min(1)
    .max(1024);
const isvsvnTcb = (max: number) => z.object({ isvsvn: z.number().int().min(0).max(max) });

const TcbInfoSchema = z
  .object({
    id: z.enum(['SGX', 'TDX']),
    version: z.literal(3),
    issueDate: isoTime,
    nextUpdate: isoTime,
    fmspc: hexField(6),
    pceId: hexField(2),
    tcbType: z.literal(0),
    tcbEvaluationDataNumber: z.number().int().min(0),
    tdxModule: z
      .object({ mrsigner: hexField(48), attributes: hexField(8), attributesMask: hexField(8) })
      .optional(),
    tdxModuleIdentities: z
      .array(
        z.object({
          id: z.string().regex(/^TDX_[0-9A-Fa-f]{2}$/),
          mrsigner: hexField(48),
          attributes: hexField(8),
          attributesMask: hexField(8),
          tcbLevels: tcbLevels(isvsvnTcb(255)),
        }),
      )
      .optional(),
    tcbLevels: tcbLevels(
      z.object({
        sgxtcbcomponents: components,
        pcesvn: z.number().int().min(0).max(65535),
        tdxtcbcomponents: components.optional(),
      }),
    ),
  })
  .loose();
export type TcbInfo = z.infer<typeof TcbInfoSchema>;

const QeIdentitySchema = z
  .object({
    id: z.enum(['QE', 'TD_QE']),
    version: z.literal(2),
    issueDate: isoTime,
    nextUpdate: isoTime,
    tcbEvaluationDataNumber: z.number().int().min(0),
    miscselect: hexField(4),
    miscselectMask: hexField(4),
    attributes: hexField(16),
    attributesMask: hexField(16),
    mrsigner: hexField(32),
    isvprodid: z.number().int().min(0).max(65535),
    tcbLevels: tcbLevels(isvsvnTcb(65535)),
  })
  .loose();
export type QeIdentity = z.infer<typeof QeIdentitySchema>;

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}

/** Checks the collateral's shape; unknown fields are refused, not ignored. */
export function parseCollateral(value: unknown): DcapCollateral {
  const r = CollateralSchema.safeParse(value);
  if (!r.success)
    throw new AttestError(
      'E_ATTEST_INPUT',
      'collateral.parse',
      'collateral',
      `collateral ${firstIssue(r.error)}`,
    );
  return r.data;
}

/** Parses signed JSON text (already verified) into its document shape. */
function parseSignedJson<T>(text: string, schema: z.ZodType<T>, field: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AttestError(
      'E_ATTEST_COLLATERAL',
      'collateral.parse',
      field,
      `${field} is not JSON: ${(e as Error).message}`,
    );
  }
  const r = schema.safeParse(json);
  if (!r.success)
    throw new AttestError(
      'E_ATTEST_COLLATERAL',
      'collateral.parse',
      field,
      `${field}.${firstIssue(r.error)}`,
    );
  return r.data;
}

export const parseTcbInfo = (text: string): TcbInfo => parseSignedJson(text, TcbInfoSchema, 'tcb_info');
export const parseQeIdentity = (text: string): QeIdentity =>
  parseSignedJson(text, QeIdentitySchema, 'qe_identity');
