import { extractEntities } from '../../src/nlu';
import { loadKnowledgePack } from './load-knowledge';

const { lexicon } = loadKnowledgePack();
const ents = (text: string, region: 'US' | 'GB' | 'DE' | 'FR' = 'US') => extractEntities(text, lexicon, region);

describe('email', () => {
  it('finds the first valid email, lower-cased', () => {
    expect(ents('my email is John.Doe@Example.COM').email).toBe('john.doe@example.com');
    expect(ents('it was jane+tiktok@mail.co.uk, or maybe jane@old.org').email).toBe('jane+tiktok@mail.co.uk');
    expect(ents('email: <me_123@sub.domain.io>.').email).toBe('me_123@sub.domain.io');
  });

  it('ignores things that only look like emails', () => {
    expect(ents('my handle is @cooluser').email).toBeUndefined();
    expect(ents('foo@bar').email).toBeUndefined();
    expect(ents('a@b..com').email).toBeUndefined();
    expect(ents('no email here').email).toBeUndefined();
  });
});

describe('phone', () => {
  it('parses national numbers with the default region to E.164', () => {
    expect(ents('my number is (415) 555-2671').phone).toBe('+14155552671');
    expect(ents('415 555 2671').phone).toBe('+14155552671');
    expect(ents('07911 123456', 'GB').phone).toBe('+447911123456');
    expect(ents('030 1234567', 'DE').phone).toBe('+49301234567');
  });

  it('parses international forms regardless of the default region', () => {
    expect(ents('call me on +44 7911 123456').phone).toBe('+447911123456');
    expect(ents('+33 6 12 34 56 78').phone).toBe('+33612345678');
    expect(ents('0044 7911 123456').phone).toBe('+447911123456');
    expect(ents('+1-415-555-2671', 'DE').phone).toBe('+14155552671');
  });

  it('rejects invalid or non-phone numbers', () => {
    expect(ents('123').phone).toBeUndefined();
    expect(ents('my code was 123456').phone).toBeUndefined();
    expect(ents('+44 12').phone).toBeUndefined();
    expect(ents('where is RC-7KX2QM').phone).toBeUndefined();
    expect(ents('user12345678@example.com').phone).toBeUndefined();
    // digits that are part of a handle are not a phone number (and are not parsed as one)
    expect(ents('@kite.runner4155552671').phone).toBeUndefined();
    expect(ents('my username is dancer07911123456', 'GB').phone).toBeUndefined();
  });

  it('still finds a number written right after other text', () => {
    expect(ents('tel:+44 7911 123456').phone).toBe('+447911123456');
    expect(ents('phone:(415) 555-2671').phone).toBe('+14155552671');
    expect(ents('number 4155552671.').phone).toBe('+14155552671');
  });
});

describe('username', () => {
  it('takes explicit @handles', () => {
    expect(ents('it is @Cool_User.99').username).toBe('cool_user.99');
    expect(ents('@dancequeen').username).toBe('dancequeen');
  });

  it('takes "my username is X" and "username: X"', () => {
    expect(ents('my username is John_Doe').username).toBe('john_doe');
    expect(ents('My user name is maria.k.').username).toBe('maria.k');
    expect(ents('username: skater_boy').username).toBe('skater_boy');
    expect(ents('my handle is @the.real.one').username).toBe('the.real.one');
  });

  it('does not guess from plain words or emails', () => {
    expect(ents('i forgot my username').username).toBeUndefined();
    expect(ents('my username is not working').username).toBeUndefined();
    expect(ents('can you handle this').username).toBeUndefined();
    expect(ents('john.doe@example.com').username).toBeUndefined();
    expect(ents('hello there').username).toBeUndefined();
  });

  it('enforces 2–24 characters of letters, digits, _ and .', () => {
    expect(ents('@a').username).toBeUndefined();
    expect(ents('@abcdefghijklmnopqrstuvwxyz').username).toBeUndefined();
    expect(ents('my username is jöhn').username).toBeUndefined();
  });
});

describe('ticket reference', () => {
  it('finds RC- references and upper-cases them', () => {
    expect(ents('where is my case RC-7KX2QM').ticketRef).toBe('RC-7KX2QM');
    expect(ents('ticket rc-3mpq7v please').ticketRef).toBe('RC-3MPQ7V');
    expect(ents('(RC-9WXM3B)').ticketRef).toBe('RC-9WXM3B');
  });

  it('rejects ambiguous characters and wrong lengths', () => {
    expect(ents('RC-0OI1LA').ticketRef).toBeUndefined();
    expect(ents('RC-7KX2Q').ticketRef).toBeUndefined();
    expect(ents('RC-7KX2QMM').ticketRef).toBeUndefined();
  });
});

describe('skip', () => {
  it.each([
    'skip',
    'Skip.',
    'SKIP!',
    "I don't remember",
    'i dont remember',
    "don't know",
    'idk',
    'no idea',
    'No idea, sorry',
    "I don't have one",
    'pass',
    'not sure',
    'i dunno',
    'n/a',
  ])('%s → skip', (text) => {
    expect(ents(text).skip).toBe(true);
  });

  it.each(['john@example.com', 'yes', 'my username is @bob', 'i know exactly what happened: someone logged in from another country and changed my email'])(
    '%s → not skip',
    (text) => {
      expect(ents(text).skip).toBeUndefined();
    },
  );
});

describe('distressed', () => {
  it.each([
    'someone hacked my tiktok!!!',
    'PLEASE HELP ME',
    'please please give it back',
    'i am desperate, this is my business',
    'im panicking rn',
    'HELP my account is GONE',
    'pleaseeee help 😭',
  ])('%s → distressed', (text) => {
    expect(ents(text).distressed).toBe(true);
  });

  it.each(['i forgot my password', 'Hi, my account was hacked.', 'is RC-7KX2QM resolved?', 'I use SMS'])('%s → calm', (text) => {
    expect(ents(text).distressed).toBeUndefined();
  });
});
