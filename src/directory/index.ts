import type { Secret } from '../evidence/secret';
import type { PasswordOutcome } from '../../dialogs/types';

export type CheckOutcome = PasswordOutcome;

export interface EvidenceChecks {
  username: CheckOutcome;
  email: CheckOutcome;
  phone: CheckOutcome;
}

/**
 * The account directory: where the platform's accounts and their password
 * history live. The embedded default is a demo directory in the database;
 * production points this port at the platform's identity service.
 * Its answers go on the ticket for the agent, never back to the user.
 */
export interface AccountDirectory {
  /** Checks a previous password against the account's history. Takes as long whether or not the account exists. */
  verifyPreviousPassword(username: string | undefined, password: Secret): Promise<CheckOutcome>;
  /** Checks the normalised evidence against the account. */
  checkEvidence(evidence: { username?: string; email?: string; phone?: string }): Promise<EvidenceChecks>;
}
