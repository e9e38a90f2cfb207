// The policy language names PII kinds ("Redact PII of type EMAIL_ADDRESS …") with its own copy of the
// list, since the policy module may not import the inspectors. This keeps the copy equal to the
// detector's list, so a policy can never name a kind that is never found, nor miss one that is.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PII_TYPES } from '../../src/inspect/pii/index.js';
import { PII_TYPE_NAMES } from '../../src/policy/index.js';

test("the policy's PII kinds are exactly the detector's", () => {
  assert.deepEqual([...PII_TYPE_NAMES].sort(), [...PII_TYPES].sort());
});
