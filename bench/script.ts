/** What each simulated conversation says in the benchmarks: a hacked-account case up to its ticket ({i}: the conversation's number). */
export const SCRIPT = [
  'someone hacked my account',
  '@kite.runner{i}',
  'user{i}@example.com',
  '+44 7911 123456',
  'skip',
  'They changed the email on my account last night.',
  'Yes, open the ticket',
];
