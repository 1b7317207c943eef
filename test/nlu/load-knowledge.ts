import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { AmbiguityData, IntentData, Lexicon, NluTrainingData } from '../../src/nlu';

export const KNOWLEDGE_NLU_DIR = path.resolve(__dirname, '../../knowledge/nlu');

/** Loads knowledge/nlu/*.yml: lexicon.yml plus the merged `intents` of every other file. */
export function loadKnowledgePack(dir = KNOWLEDGE_NLU_DIR): NluTrainingData {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yml')).sort();
  const intents: IntentData[] = [];
  const ambiguities: AmbiguityData[] = [];
  let lexicon: Lexicon | undefined;
  for (const file of files) {
    const doc = YAML.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    if (file === 'lexicon.yml') lexicon = doc as Lexicon;
    else {
      intents.push(...((doc.intents ?? []) as IntentData[]));
      ambiguities.push(...((doc.ambiguous ?? []) as AmbiguityData[]));
    }
  }
  if (!lexicon) throw new Error(`no lexicon.yml in ${dir}`);
  return { intents, lexicon, ambiguities };
}

export function examplesOf(data: NluTrainingData): { text: string; intent: string }[] {
  return data.intents.flatMap((i) => i.examples.map((text) => ({ text: String(text), intent: i.name })));
}
