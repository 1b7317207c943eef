import { describePg, freshSchema, type PgSchema } from '../support/pg';
import { activity, hackedScript, pool, REF_RE, request, send, spawnBot, tmpDir, type BotProcess } from './support';

/**
 * Two real bot processes on one PostgreSQL schema, as behind a load balancer.
 * Nothing lost, nothing duplicated: every conversation's state holds every
 * message it was sent, every case has exactly one ticket with what was said.
 */
describePg('two bot processes on one PostgreSQL', () => {
  let db: PgSchema;
  let a: BotProcess;
  let b: BotProcess;
  const TOKEN = 'fault-test-agent-token-0123456789';
  const env = () => ({ ...db.env, DATA_DIR: tmpDir('pg-unused'), LIMIT_MESSAGES_PER_MINUTE: '1000', AGENT_API_TOKEN: TOKEN });
  let opened: (string | undefined)[] = [];

  beforeAll(async () => {
    db = await freshSchema('f');
    // both start at once on an empty schema: one migrates, the other waits for its lock
    [a, b] = await Promise.all([spawnBot(env(), 'pg-a'), spawnBot(env(), 'pg-b')]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  const stateOf = async (conv: string) => {
    const r = await db.query('select data from conversation_state where key = $1', [`conversation/test/${conv}`]);
    return r.rows[0] ? JSON.parse(r.rows[0].data) : undefined;
  };

  test('100 conversations alternating between the processes: every state and ticket correct, 0 lost updates', async () => {
    const N = 100;
    const sentIds = new Map<string, string[]>();
    const refs = await pool(
      Array.from({ length: N }, (_, i) => i),
      16,
      async (i) => {
        const conv = `alt-${i}`;
        const ids: string[] = [];
        let last: string[] = [];
        for (const [step, m] of hackedScript(i, { password: false }).entries()) {
          const act = activity(conv, m.text, m.value);
          ids.push(act.id);
          last = await send((step + i) % 2 ? a.url : b.url, act);
        }
        // then two messages at the same moment, one to each process: both must be kept
        const x = activity(conv, 'what is the status of my case');
        const y = activity(conv, 'thanks');
        ids.push(x.id, y.id);
        await Promise.all([send(a.url, x), send(b.url, y)]);
        sentIds.set(conv, ids);
        return REF_RE.exec(last.join(' '))?.[0];
      },
    );
    opened = refs;
    expect(refs.filter(Boolean)).toHaveLength(N);
    expect(new Set(refs).size).toBe(N);

    const tickets = await db.query('select ref, conversation_id, username, email, phone, description, evidence from tickets');
    expect(tickets.rowCount).toBe(N);
    let lost = 0;
    for (let i = 0; i < N; i++) {
      const conv = `alt-${i}`;
      const t = tickets.rows.find((r) => r.conversation_id === conv);
      expect(t).toMatchObject({ ref: refs[i], username: `kite.runner${i}`, email: `user${i}@example.com`, phone: '+447911123456' });
      expect(t.description).toBe(`They changed the email on account number ${i} last night.`);
      expect(JSON.parse(t.evidence).previousPasswords).toHaveLength(0);
      const state = await stateOf(conv);
      lost += sentIds.get(conv)!.filter((id) => !state.seen.includes(id)).length;
      const lines = await db.query('select text from transcript_lines where conversation_id = $1 and role = $2', [`conversation/test/${conv}`, 'user']);
      expect(lines.rows.map((r) => r.text)).toEqual(expect.arrayContaining(['what is the status of my case', 'thanks']));
      expect(lines.rowCount).toBe(9);
    }
    expect(lost).toBe(0);
    const conflicts = await db.query('select count(*)::int as n from conversation_state');
    expect(conflicts.rows[0].n).toBe(N);
  }, 120_000);

  test('an agent message (proactive, process A) and a user message (process B) at the same moment: neither overwrites the other', async () => {
    const pairs = opened.slice(0, 20).map((ref, i) => ({ ref: ref!, conv: `alt-${i}` }));
    await pool(pairs, 10, async ({ ref, conv }, i) => {
      const user = activity(conv, `one more thing ${i}`);
      const [agentRes] = await Promise.all([
        request(a.url, { path: `/api/tickets/${ref}/messages`, body: JSON.stringify({ text: `agent note ${i}` }), headers: { authorization: `Bearer ${TOKEN}` } }),
        send(b.url, user),
      ]);
      expect(agentRes.status).toBe(200);
      const state = await stateOf(conv);
      expect(state.seen).toContain(user.id);
      const lines = await db.query('select text from transcript_lines where conversation_id = $1', [`conversation/test/${conv}`]);
      const texts = lines.rows.map((r) => r.text as string);
      expect(texts).toContain(`one more thing ${i}`);
      expect(texts.some((t) => t.includes(`agent note ${i}`))).toBe(true);
    });
  }, 60_000);

  test('the same activity delivered to both processes at once, and "yes" pressed twice: one ticket', async () => {
    for (let round = 0; round < 3; round++) {
      const conv = `dup-${round}`;
      const script = hackedScript(1000 + round, { password: false });
      for (const m of script.slice(0, -1)) await send(round % 2 ? a.url : b.url, activity(conv, m.text, m.value));
      const yes = activity(conv, 'Yes, open the ticket');
      const again = activity(conv, 'Yes, open the ticket'); // a double click: another activity id
      const replies = await Promise.all([send(a.url, yes), send(b.url, yes), send(a.url, again), send(b.url, { ...yes })]);
      const refs = new Set(replies.flat().map((t) => REF_RE.exec(t)?.[0]).filter(Boolean));
      expect(refs.size).toBe(1);
      const n = await db.query('select count(*)::int as n from tickets where conversation_id = $1', [conv]);
      expect(n.rows[0].n).toBe(1);
    }
    // a card submitted twice at once (the same delivery): the password is counted once
    const conv = 'dup-card';
    const script = hackedScript(2000);
    for (const m of script.slice(0, 4)) await send(a.url, activity(conv, m.text, m.value));
    const card = activity(conv, undefined, script[4]!.value);
    await Promise.all([send(a.url, card), send(b.url, card)]);
    for (const m of script.slice(5)) await send(b.url, activity(conv, m.text, m.value));
    const t = await db.query('select evidence from tickets where conversation_id = $1', [conv]);
    expect(t.rowCount).toBe(1);
    expect(JSON.parse(t.rows[0].evidence).previousPasswords).toHaveLength(1);
  }, 60_000);

  test('kill -9 one process mid-conversation, restart it: the conversation resumes where it was, nothing lost', async () => {
    const conv = 'crash-pg';
    const script = hackedScript(3000);
    for (const m of script.slice(0, 4)) await send(a.url, activity(conv, m.text, m.value));
    // a turn in flight when the process dies; the channel retries it (same id) on the other process
    const inFlight = activity(conv, undefined, script[4]!.value);
    const dying = send(a.url, inFlight).catch(() => 'lost');
    await a.kill9();
    await dying;
    await send(b.url, inFlight);
    a = await spawnBot(env(), 'pg-a2');
    for (const m of script.slice(5, -1)) await send(a.url, activity(conv, m.text, m.value));
    const done = await send(a.url, activity(conv, 'Yes, open the ticket'));
    expect(done.join(' ')).toMatch(REF_RE);
    const t = await db.query('select username, email, phone, evidence from tickets where conversation_id = $1', [conv]);
    expect(t.rowCount).toBe(1);
    expect(t.rows[0]).toMatchObject({ username: 'kite.runner3000', email: 'user3000@example.com', phone: '+447911123456' });
    expect(JSON.parse(t.rows[0].evidence).previousPasswords).toHaveLength(1);
  }, 90_000);
});
