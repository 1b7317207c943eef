import { Normalizer, normalize } from '../../src/nlu';
import { squashCandidates } from '../../src/nlu/normalize';
import { loadKnowledgePack } from './load-knowledge';

const { lexicon } = loadKnowledgePack();

describe('normalize', () => {
  it('lower-cases, applies NFKC and strips accents', () => {
    expect(normalize('Ｈｅｌｌｏ  WÖRLD, café!', lexicon)).toBe('hello world cafe');
    expect(normalize('Olá, não consigo', lexicon)).toBe('ola nao consigo');
  });

  it('expands contractions, with or without the apostrophe and with curly quotes', () => {
    expect(normalize("I can't log in", lexicon)).toBe('i cannot log in');
    expect(normalize('i cant log in', lexicon)).toBe('i cannot log in');
    expect(normalize('I can\u2019t log in', lexicon)).toBe('i cannot log in');
    expect(normalize("didn't work, I'm stuck", lexicon)).toBe('did not work i am stuck');
  });

  it('maps slang and abbreviations through the lexicon', () => {
    expect(normalize('pls help my acc got hacked', lexicon)).toBe('please help my account got hacked');
    expect(normalize('forgot my pw thx', lexicon)).toBe('forgot my password thanks');
    expect(normalize('idk my email', lexicon)).toBe('i do not know my email');
    expect(normalize('nvm', lexicon)).toBe('never mind');
  });

  it('squashes letters repeated for emphasis', () => {
    expect(normalize('pleaseeee helppp', lexicon)).toBe('please help');
    expect(normalize('plsssss', lexicon)).toBe('please');
    expect(normalize('noooo', lexicon)).toBe('no');
    expect(squashCandidates('sooo')).toEqual(['soo', 'so']);
  });

  it('prefers the known word when squashing (vocabulary-aware)', () => {
    const n = new Normalizer(lexicon, ['good', 'account']);
    expect(n.normalize('soooo goooood')).toBe('so good');
    expect(n.normalize('my accounttttt')).toBe('my account');
  });

  it('keeps digits, drops punctuation and possessives', () => {
    expect(normalize("TikTok's 30-day window!!!", lexicon)).toBe('tiktok 30 day window');
    expect(normalize('   ', lexicon)).toBe('');
  });
});
