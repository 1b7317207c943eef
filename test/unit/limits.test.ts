import { Limits, type MessageWindow } from '../../src/limits';

/** The messages-per-minute window, kept in each conversation's state (pure: no database needed). */
const settings = { ticketsPerUserPerDay: 2, passwordChecksPerConversation: 3, messagesPerMinute: 5 };
const db = undefined as never; // countMessage never touches the database

test('messages are counted per minute: refused past the limit, counted afresh the next minute', () => {
  let now = Date.parse('2026-11-25T10:00:05Z');
  const limits = new Limits(db, settings, () => now);
  let window: MessageWindow | undefined;
  const verdicts: boolean[] = [];
  for (let i = 0; i < 7; i++) {
    const v = limits.countMessage(window);
    verdicts.push(v.allowed);
    if (v.allowed) window = v.window; // a refused message changes nothing, as in the engine
  }
  expect(verdicts).toEqual([true, true, true, true, true, false, false]);
  expect(window).toEqual({ minute: Math.floor(now / 60_000), count: 5 });
  now += 60_000;
  expect(limits.countMessage(window)).toMatchObject({ allowed: true, count: 1 });
});

test('0 turns the limit off and stores nothing', () => {
  const limits = new Limits(db, { ...settings, messagesPerMinute: 0 });
  expect(limits.countMessage({ minute: Math.floor(Date.now() / 60_000), count: 10_000 })).toEqual({ allowed: true, count: 0, limit: 0 });
});
