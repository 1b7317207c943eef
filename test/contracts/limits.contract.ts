import type { Db } from '../../src/storage/db';
import { Limits } from '../../src/limits';

/** The abuse limits' counters, on every database engine. */
export function limitsContract(name: string, make: () => Promise<{ db: Db; close(): Promise<void> }>) {
  describe(`Limits contract: ${name}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ db, close } = await make());
    });
    afterEach(async () => close());

    const settings = { ticketsPerUserPerDay: 2, passwordChecksPerConversation: 3, messagesPerMinute: 5 };

    test('counters are shared: concurrent hits from two limiters on one database count exactly', async () => {
      const a = new Limits(db, { ...settings, passwordChecksPerConversation: 1000 });
      const b = new Limits(db, { ...settings, passwordChecksPerConversation: 1000 });
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).passwordCheck('conv/shared')));
      expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    test('password checks per conversation', async () => {
      const limits = new Limits(db, settings);
      const v = [];
      for (let i = 0; i < 4; i++) v.push((await limits.passwordCheck('conv/p')).allowed);
      expect(v).toEqual([true, true, true, false]);
    });

    test('tickets per user per day: a new case is refused past the limit, the same case never is', () => {
      const now = Date.parse('2026-11-25T10:00:00Z');
      const limits = new Limits(db, settings, () => now);
      const mine = [
        { caseKey: 'c1', createdAt: '2026-11-25T09:00:00Z' },
        { caseKey: 'c2', createdAt: '2026-11-25T09:30:00Z' },
        { caseKey: 'old', createdAt: '2026-11-23T09:30:00Z' },
      ];
      expect(limits.ticketAllowed(mine, 'c3').allowed).toBe(false);
      expect(limits.ticketAllowed(mine, 'c2').allowed).toBe(true);
      expect(limits.ticketAllowed(mine.slice(1), 'c3').allowed).toBe(true);
    });

    test('0 turns a limit off; finished windows are swept', async () => {
      let now = Date.parse('2026-11-25T10:00:00Z');
      const off = new Limits(db, { ticketsPerUserPerDay: 0, passwordChecksPerConversation: 0, messagesPerMinute: 0 }, () => now);
      for (let i = 0; i < 50; i++) expect((await off.passwordCheck('conv/x')).allowed).toBe(true);
      const on = new Limits(db, settings, () => now);
      await on.passwordCheck('conv/y');
      now += 25 * 3600_000;
      expect(await on.sweep()).toBe(1);
    });
  });
}
