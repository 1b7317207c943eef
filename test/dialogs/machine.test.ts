import { ALPHABET as E, run, stateOf, u } from './walk';
import type { TicketRequest } from '../../dialogs/types';

const keys = (replies: { key: string }[]) => replies.map((r) => r.key);

describe('the dialog machine', () => {
  test('a hacked account goes straight to evidence, then an urgent ticket with the case as data', async () => {
    const opened: TicketRequest[] = [];
    const openTicket = async (input: unknown) => {
      opened.push(input as TicketRequest);
      return { ref: 'RC-HACK22' };
    };
    const r = await run([E.hacked, E.username, E.email, E.phoneNumber, E.password, E.skip, E.story, E.affirm], { openTicket });
    expect(keys(r.all[0]!)).toEqual(['guide.account_hacked', 'ask.username']);
    expect(keys(r.all[4]!)).toEqual(['password.received', 'ask.passwords_more']);
    expect(r.all[7]).toEqual([{ key: 'ticket.opened_urgent', params: { ref: 'RC-HACK22' } }]);
    expect(stateOf(r.snapshot)).toBe('idle');
    expect(r.snapshot.context.lastTicketRef).toBe('RC-HACK22');
    expect(opened).toEqual([
      {
        caseKey: 'walk#1',
        category: 'account_hacked',
        distressed: true,
        evidence: {
          username: 'sam.dances',
          email: 'sam@example.com',
          phone: '+14155550134',
          passwords: ['matched'],
          description: 'Someone changed my email and phone last night',
        },
      },
    ]);
    // the next case gets a new key: a new ticket, not the old one
    expect(r.snapshot.context.caseNo).toBe(2);
  });

  test('a guide ends with "did that help?"; yes ends it, no hands off with the topic as category', async () => {
    const yes = await run([E.forgot, E.affirm]);
    expect(keys(yes.all[0]!)).toEqual(['guide.forgot_password', 'guide.did_it_help']);
    expect(keys(yes.all[1]!)).toEqual(['guide.glad']);
    const no = await run([E.notReceived, E.deny]);
    expect(keys(no.all[1]!)).toEqual(['guide.handoff_intro', 'ask.username']);
    expect(no.snapshot.context.category).toBe('reset_not_received');
  });

  test('a ban: the appeal path, then "yes" takes the appeal statement, "no" ends politely', async () => {
    const appeal = await run([E.banned, E.affirm, E.skip, E.skip, E.skip, E.skip]);
    expect(keys(appeal.all[0]!)).toEqual(['guide.account_banned', 'guide.banned_follow_up']);
    expect(keys(appeal.all[1]!)).toEqual(['guide.appeal_intro', 'ask.username']);
    expect(appeal.all[4]!.map((r) => r.key)).toContain('ask.appeal_statement');
    const no = await run([E.banned, E.deny]);
    expect(keys(no.all[1]!)).toEqual(['guide.no_appeal']);
    expect(stateOf(no.snapshot)).toBe('idle');
  });

  test('a deleted account: the 30-day window, then a ticket only if logging in fails', async () => {
    const back = await run([E.deleted, E.affirm]);
    expect(keys(back.all[0]!)).toEqual(['guide.account_deleted', 'guide.deleted_follow_up']);
    expect(keys(back.all[1]!)).toEqual(['guide.glad']);
    const stuck = await run([E.deleted, E.deny]);
    expect(stuck.snapshot.context.category).toBe('account_deleted');
    expect(stateOf(stuck.snapshot)).toBe('collect.field');
  });

  test('talk to a human with no topic asks what happened, and classifies the case from the answer', async () => {
    const r = await run([E.human, u('someone hacked me and changed my email', 'account_hacked')]);
    expect(keys(r.all[0]!)).toEqual(['human.intro', 'ask.what_happened']);
    expect(r.snapshot.context.category).toBe('account_hacked');
    expect(r.snapshot.context.evidence.description).toBe('someone hacked me and changed my email');
  });

  test('an invalid answer is re-asked with a specific reason at most twice, then skipped', async () => {
    const bad = u('sam at example dot com');
    const r = await run([E.hacked, E.username, bad, bad, bad]);
    expect(keys(r.all[2]!)).toEqual(['invalid.email.no_at', 'ask.email']);
    expect(keys(r.all[3]!)).toEqual(['invalid.email.no_at', 'ask.email']);
    expect(keys(r.all[4]!)).toEqual(['invalid.email.no_at', 'collect.giving_up', 'ask.phone']);
    expect(r.snapshot.context.done).toContain('email');
    expect(r.snapshot.context.evidence.email).toBeUndefined();
  });

  test('"skip" and "I don\'t remember" skip a field', async () => {
    const r = await run([E.hacked, E.skip]);
    expect(keys(r.all[1]!)).toEqual(['collect.skipped', 'ask.email']);
  });

  test('a correction at any point updates the field; at the summary it shows the summary again', async () => {
    const mid = await run([E.hacked, E.username, E.email, E.correction]);
    expect(mid.snapshot.context.evidence.email).toBe('other@example.com');
    expect(keys(mid.all[3]!)).toEqual(['collect.corrected', 'ask.phone']);
    const atSummary = await run([E.hacked, E.username, E.email, E.skip, E.skip, E.story, E.correction]);
    expect(keys(atSummary.all[6]!)).toEqual(['collect.corrected', 'confirm.summary']);
    expect(atSummary.all[6]![1]!.params?.email).toBe('other@example.com');
  });

  test('"No, change something" at the summary asks which field, re-asks it, and returns to the summary', async () => {
    const r = await run([E.hacked, E.username, E.email, E.skip, E.skip, E.story, E.deny, E.chooseEmail, u('new@example.com', 'out_of_scope', { email: 'new@example.com' })]);
    expect(keys(r.all[6]!)).toEqual(['confirm.which_field']);
    expect(keys(r.all[7]!)).toEqual(['ask.email']);
    expect(keys(r.all[8]!)).toEqual(['confirm.summary']);
    expect(r.snapshot.context.evidence.email).toBe('new@example.com');
  });

  test('when the ticket cannot be opened, the evidence is kept and the user can try again', async () => {
    let calls = 0;
    const openTicket = async () => {
      calls += 1;
      if (calls === 1) throw new Error('database down');
      return { ref: 'RC-AGAIN2' };
    };
    const r = await run([E.hacked, E.username, E.email, E.skip, E.skip, E.story, E.affirm, E.affirm], { openTicket });
    expect(keys(r.all[6]!)).toEqual(['ticket.failed']);
    expect(r.all[7]).toEqual([{ key: 'ticket.opened_urgent', params: { ref: 'RC-AGAIN2' } }]);
    expect(calls).toBe(2);
  });

  test('while the ticket cannot be opened, the collected evidence stays in the conversation', async () => {
    const r = await run([E.hacked, E.username, E.email, E.skip, E.skip, E.story, E.affirm], {
      openTicket: async () => Promise.reject(new Error('database down')),
    });
    expect(stateOf(r.snapshot)).toBe('collect.failed');
    expect(r.snapshot.context.evidence).toMatchObject({ username: 'sam.dances', email: 'sam@example.com' });
  });

  test('channels that cannot mask input get a one-time secure link for passwords instead of a card', async () => {
    const r = await run([E.hacked, E.username, E.email, E.skip], {}, false);
    expect(r.all[3]).toEqual([
      { key: 'collect.skipped' },
      { key: 'ask.passwords_link', params: { url: 'http://127.0.0.1/secure/walk-token' }, choices: [{ label: 'choice.skip', value: 'skip' }] },
    ]);
    expect(r.snapshot.hasTag('secret')).toBe(false); // typed text is not taken as a password there
    const after = await run([E.hacked, E.username, E.email, E.skip, E.formChecked], {}, false);
    expect(keys(after.replies)).toEqual(['password.received_form', 'ask.description']);
    expect(after.snapshot.context.evidence.passwords).toEqual(['matched', 'not_matched']);
  });

  test("an agent's question interrupts the evidence form; the answer goes to the ticket, then the form resumes", async () => {
    const r = await run([E.hacked, E.username, E.agentQuestion, E.story]);
    expect(keys(r.all[2]!)).toEqual(['agent.request_info']);
    expect(keys(r.all[3]!)).toEqual(['ticket.answer_received', 'ask.email']);
    expect(r.snapshot.context.evidence.username).toBe('sam.dances');
  });

  test('while a ticket is open, messages about it are added to it; "Start a new case" stops that', async () => {
    const done = [E.hacked, E.username, E.email, E.skip, E.skip, E.story, E.affirm];
    const r = await run([...done, u('they also changed my profile picture')]);
    expect(r.replies).toEqual([
      { key: 'ticket.attached', params: { ref: 'RC-WALK22' }, choices: [{ label: 'choice.new_case', value: 'new_case' }] },
    ]);
    const fresh = await run([...done, E.newCase, E.forgot]);
    expect(keys(fresh.all[7]!)).toEqual(['ticket.new_case']);
    expect(keys(fresh.all[8]!)).toEqual(['guide.forgot_password', 'guide.did_it_help']);
  });

  test('agent messages and the resolution reach the user wherever the conversation is', async () => {
    const r = await run([E.forgot, E.agentMessage, E.ticketResolved]);
    expect(r.all[1]).toEqual([{ key: 'agent.message', params: { ref: 'RC-WALK22', text: 'We are looking at it.' } }]);
    expect(r.all[2]).toEqual([{ key: 'agent.resolved', params: { ref: 'RC-WALK22', text: 'You are back in.' } }]);
    expect(stateOf(r.snapshot)).toBe('guide');
  });

  test('when two intents are too close, the user is asked which one, with both as buttons', async () => {
    const r = await run([E.ambiguous]);
    expect(r.replies).toEqual([
      {
        key: 'clarify.which',
        choices: [
          { label: 'topic.forgot_password', value: 'forgot_password' },
          { label: 'topic.login_error', value: 'login_error' },
        ],
      },
    ]);
  });

  test('out of scope twice in a row offers a person; accepting starts the handoff', async () => {
    const r = await run([E.nonsense, E.nonsense, E.affirm]);
    expect(keys(r.all[0]!)).toEqual(['fallback']);
    expect(r.all[0]![0]!.choices?.length).toBe(8);
    expect(keys(r.all[1]!)).toEqual(['fallback.offer_human']);
    expect(keys(r.all[2]!)).toEqual(['human.intro', 'ask.what_happened']);
  });

  test('a recognised message between two misses resets the count', async () => {
    const r = await run([E.nonsense, E.greeting, E.nonsense]);
    expect(keys(r.all[2]!)).toEqual(['fallback']);
  });

  test('ticket status shows the user\'s own tickets, and a reference that is not theirs is not found', async () => {
    const r = await run([E.status]);
    expect(r.replies[0]!.key).toBe('status.not_found_but');
    expect(r.replies[0]!.items?.[0]?.ref).toBe('RC-MINE22');
    const mine = await run([u('status RC-MINE22', 'ticket_status', { ticketRef: 'RC-MINE22' })]);
    expect(mine.replies[0]!.key).toBe('status.list');
  });

  test('help in the middle of collecting repeats the question; cancel throws the case away', async () => {
    const r = await run([E.hacked, E.username, E.help, E.cancel]);
    expect(keys(r.all[2]!)).toEqual(['help.collect', 'ask.email']);
    expect(keys(r.all[3]!)).toEqual(['cancel.done']);
    expect(r.snapshot.context.evidence).toEqual({ passwords: [] });
  });

  test('a password typed in chat at the masked step is refused and the card is shown again', async () => {
    const r = await run([E.hacked, E.username, E.email, E.skip, E.passwordInChat]);
    expect(r.replies.map((x) => [x.key, x.input])).toEqual([
      ['password.in_chat', undefined],
      ['ask.passwords', 'password'],
    ]);
    expect(r.snapshot.context.evidence.passwords).toEqual([]);
  });

  test('at most three previous passwords are taken', async () => {
    const r = await run([E.hacked, E.username, E.email, E.skip, E.password, E.password, E.password]);
    expect(r.snapshot.context.evidence.passwords).toHaveLength(3);
    expect(keys(r.all[6]!)).toEqual(['password.received', 'ask.description']);
  });
});
