import type { Db } from '../storage/db';
import { nowIso, run } from '../storage/db';
import type { Secret } from '../evidence/secret';
import type { AccountDirectory, CheckOutcome, EvidenceChecks } from './index';
import { DECOY_HASH, hashPassword, verifyPassword } from './password-hash';
import { DEMO_ACCOUNTS, type DemoAccount } from './demo';

/** Keep the number of hashes checked per attempt constant, whatever the account. */
const HISTORY_CHECKED = 3;

/** The embedded account directory: accounts and salted scrypt password history in the database. */
export class SqlDirectory implements AccountDirectory {
  constructor(private readonly db: Db) {}

  async verifyPreviousPassword(username: string | undefined, password: Secret): Promise<CheckOutcome> {
    const rows = username
      ? await this.db.selectFrom('password_history').select('hash').where('username', '=', username).orderBy('id', 'desc').limit(HISTORY_CHECKED).execute()
      : [];
    const hashes = rows.map((r) => r.hash);
    while (hashes.length < HISTORY_CHECKED) hashes.push(DECOY_HASH);
    // check every slot, in parallel, even after a match: the same work whatever the answer
    const matched = (await Promise.all(hashes.map((h) => verifyPassword(password.reveal(), h)))).some(Boolean);
    if (!username || rows.length === 0) return 'not_checked';
    return matched ? 'matched' : 'not_matched';
  }

  async checkEvidence(e: { username?: string; email?: string; phone?: string }): Promise<EvidenceChecks> {
    const account = e.username ? (await run(this.db, this.db.selectFrom('accounts').selectAll().where('username', '=', e.username)))[0] : undefined;
    const cmp = (given: string | undefined, actual: string | null | undefined): CheckOutcome =>
      !given || !account || !actual ? 'not_checked' : given === actual ? 'matched' : 'not_matched';
    return {
      username: !e.username ? 'not_checked' : account ? 'matched' : 'not_matched',
      email: cmp(e.email, account?.email),
      phone: cmp(e.phone, account?.phone),
    };
  }

  /** Adds an account with its password history (newest last). Used for the demo accounts and tests. */
  async addAccount(a: DemoAccount): Promise<void> {
    const hashes = await Promise.all(a.previousPasswords.map(hashPassword));
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('accounts').values({ username: a.username, email: a.email, phone: a.phone ?? null, created_at: nowIso() }).execute();
      for (const hash of hashes) {
        await tx.insertInto('password_history').values({ username: a.username, hash, retired_at: nowIso() }).execute();
      }
    });
  }

  /** Seeds the documented demo accounts into an empty directory. */
  async seedDemo(): Promise<number> {
    const existing = await this.db.selectFrom('accounts').select('username').limit(1).execute();
    if (existing.length > 0) return 0;
    let added = 0;
    for (const a of DEMO_ACCOUNTS) {
      try {
        await this.addAccount(a);
        added++;
      } catch (e) {
        // another process (same PostgreSQL) seeded this account at the same moment: theirs stands
        if (!/UNIQUE|unique constraint|duplicate key/i.test(String((e as Error)?.message))) throw e;
      }
    }
    return added;
  }
}
