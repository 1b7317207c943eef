import type { Db } from '../../src/storage/db';
import { TranscriptLog } from '../../src/storage/transcript';

/** The redacted transcript store, on every database engine. */
export function transcriptContract(name: string, make: () => Promise<{ db: Db; close(): Promise<void> }>) {
  describe(`TranscriptLog contract: ${name}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ db, close } = await make());
    });
    afterEach(async () => close());

    test('appends lines and reads the most recent, oldest first, per conversation', async () => {
      const log = new TranscriptLog(db);
      const at = '2026-11-25T10:00:00.000Z';
      await log.append('c/1', [1, 2, 3, 4].map((n) => ({ at, role: n % 2 ? 'user' : 'bot', text: `line ${n}` }) as const));
      await log.append('c/2', [{ at, role: 'user', text: 'other' }]);
      await log.append('c/1', []);
      expect((await log.recent('c/1')).map((l) => l.text)).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
      expect((await log.recent('c/1', 2)).map((l) => l.text)).toEqual(['line 3', 'line 4']);
      expect(await log.recent('c/none')).toEqual([]);
      expect((await log.recent('c/2'))[0]).toEqual({ at, role: 'user', text: 'other' });
    });

    test('keeps unicode and long text intact; drops NUL characters (PostgreSQL text cannot hold them)', async () => {
      const log = new TranscriptLog(db);
      const text = `héllo 👋 ${'x'.repeat(4000)} 中文 \u0001`;
      await log.append('c/u', [{ at: '2026-11-25T10:00:00.000Z', role: 'user', text: `${text}\u0000!` }]);
      expect((await log.recent('c/u'))[0]!.text).toBe(`${text}!`);
    });
  });
}
