import type { AccountDirectory } from '../../src/directory';
import { Secret } from '../../src/evidence/secret';

export interface DirectoryFixture {
  directory: AccountDirectory;
  /** an account known to the directory with these previous passwords */
  account: { username: string; email: string; phone?: string; previousPasswords: string[] };
  close(): Promise<void>;
}

/** The account directory contract. Run against every implementation. */
export function directoryContract(name: string, make: () => Promise<DirectoryFixture>) {
  describe(`AccountDirectory contract: ${name}`, () => {
    let f: DirectoryFixture;
    beforeAll(async () => {
      f = await make();
    });
    afterAll(async () => f.close());

    test('a previous password of the account matches', async () => {
      for (const p of f.account.previousPasswords) {
        expect(await f.directory.verifyPreviousPassword(f.account.username, new Secret(p))).toBe('matched');
      }
    });

    test('any other password does not match', async () => {
      expect(await f.directory.verifyPreviousPassword(f.account.username, new Secret('not-a-password-they-had'))).toBe('not_matched');
    });

    test('no account, or no username, means "not checked"', async () => {
      expect(await f.directory.verifyPreviousPassword('nobody.here', new Secret('x'))).toBe('not_checked');
      expect(await f.directory.verifyPreviousPassword(undefined, new Secret('x'))).toBe('not_checked');
    });

    test('evidence is checked field by field', async () => {
      const a = f.account;
      expect(await f.directory.checkEvidence({ username: a.username, email: a.email, phone: a.phone })).toEqual({
        username: 'matched',
        email: 'matched',
        phone: a.phone ? 'matched' : 'not_checked',
      });
      expect(await f.directory.checkEvidence({ username: a.username, email: 'someone@else.com' })).toEqual({
        username: 'matched',
        email: 'not_matched',
        phone: 'not_checked',
      });
      expect(await f.directory.checkEvidence({ username: 'nobody.here', email: a.email })).toEqual({
        username: 'not_matched',
        email: 'not_checked',
        phone: 'not_checked',
      });
    });
  });
}
