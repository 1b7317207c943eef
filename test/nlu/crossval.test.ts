import { CATALOGUE_INTENTS, trainNlu } from '../../src/nlu';
import { crossValidate, formatReport, topConfusions } from '../../src/nlu/evaluate';
import { examplesOf, loadKnowledgePack } from './load-knowledge';

/**
 * Floors a little under what the knowledge pack reaches (seed 7, with the ambiguity groups and
 * the deliberate-deletion / vague-request examples of issue 3: accuracy 0.956, macro-F1 0.962,
 * lowest intent F1 0.92 (affirm, help)). `reclaim nlu eval --folds 5` prints the same figures.
 */
const ACCURACY_FLOOR = 0.95;
const MACRO_F1_FLOOR = 0.95;
const PER_INTENT_F1_FLOOR = 0.9;

describe('knowledge pack: stratified 5-fold cross-validation', () => {
  const data = loadKnowledgePack();
  const items = examplesOf(data);

  it('covers exactly the intent catalogue, with enough examples', () => {
    const names = new Set(data.intents.map((i) => i.name));
    expect([...names].sort()).toEqual([...CATALOGUE_INTENTS].sort());
    const count = (name: string) => items.filter((i) => i.intent === name).length;
    for (const name of CATALOGUE_INTENTS.slice(0, 9)) expect(count(name)).toBeGreaterThanOrEqual(40);
    for (const name of CATALOGUE_INTENTS.slice(9)) expect(count(name)).toBeGreaterThanOrEqual(15);
  });

  it('has no example listed under two intents', () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const { text, intent } of items) {
      const key = text.toLowerCase().replace(/[^a-z0-9 ]/g, '').trim();
      const other = seen.get(key);
      if (other && other !== intent) clashes.push(`${text}: ${other} / ${intent}`);
      seen.set(key, intent);
    }
    expect(clashes).toEqual([]);
  });

  it(`reaches ≥ ${ACCURACY_FLOOR} accuracy and ≥ ${MACRO_F1_FLOOR} macro-F1`, () => {
    const started = Date.now();
    const report = crossValidate(
      items,
      (train) => {
        const byIntent = new Map<string, string[]>();
        for (const t of train) byIntent.set(t.intent, [...(byIntent.get(t.intent) ?? []), t.text]);
        const nlu = trainNlu(
          { intents: [...byIntent].map(([name, examples]) => ({ name, examples })), lexicon: data.lexicon },
          { defaultRegion: 'US' },
        );
        return (text) => nlu.parse(text).intent;
      },
      5,
      7,
    );
    console.log(
      [
        formatReport(report, `5-fold CV on knowledge/nlu (${items.length} examples, ${Date.now() - started} ms)`),
        'top confusions: ' + (topConfusions(report.confusion, 8).join('; ') || 'none'),
      ].join('\n'),
    );
    expect(report.accuracy).toBeGreaterThanOrEqual(ACCURACY_FLOOR);
    expect(report.macroF1).toBeGreaterThanOrEqual(MACRO_F1_FLOOR);
    for (const m of report.perIntent) expect({ intent: m.intent, ok: m.f1 >= PER_INTENT_F1_FLOOR }).toEqual({ intent: m.intent, ok: true });
  });
});
