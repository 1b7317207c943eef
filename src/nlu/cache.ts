/**
 * A trained NLU cached on disk, keyed by the knowledge pack's content hash, the NLU code and the
 * model options, so a restart with unchanged content skips training. The only module of
 * src/nlu that does I/O; every failure (unreadable, corrupt, read-only directory) falls back
 * to training.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MODEL_FORMAT, restoreNlu, trainNlu, type NluModel, type TrainedNlu } from './index';
import type { NluOptions, NluTrainingData } from './types';
import { ROOT } from '../paths';

export interface CachedNluResult {
  nlu: TrainedNlu;
  source: 'cache' | 'trained';
  /** time to load or train the model */
  ms: number;
  file: string;
  /** why the cache was not used or not written, when it was not */
  problem?: string;
}

let codeHash: string | undefined;
/** Hash of the NLU's sources (src/nlu, also when running compiled): a code change invalidates cached models. */
function nluCodeHash(): string {
  if (codeHash) return codeHash;
  const h = createHash('sha256');
  const dir = path.join(ROOT, 'src', 'nlu');
  for (const f of fs.readdirSync(dir).filter((x) => /\.ts$/.test(x)).sort()) {
    h.update(f).update('\0').update(fs.readFileSync(path.join(dir, f))).update('\0');
  }
  return (codeHash = h.digest('hex'));
}

export function nluCacheKey(knowledgeHash: string, options: NluOptions): string {
  return createHash('sha256')
    .update([MODEL_FORMAT, knowledgeHash, nluCodeHash(), JSON.stringify(options.model ?? {})].join('\0'))
    .digest('hex')
    .slice(0, 24);
}

export function loadOrTrainNlu(data: NluTrainingData, options: NluOptions, cache: { dir: string; knowledgeHash: string }): CachedNluResult {
  const t0 = performance.now();
  const key = nluCacheKey(cache.knowledgeHash, options);
  const file = path.join(cache.dir, `nlu-${key}.json`);
  let problem: string | undefined;
  if (fs.existsSync(file)) {
    try {
      const model = JSON.parse(fs.readFileSync(file, 'utf8')) as NluModel;
      const nlu = restoreNlu(model, data.lexicon, options);
      return { nlu, source: 'cache', ms: performance.now() - t0, file };
    } catch (err) {
      problem = `cached model unusable (${(err as Error).message}); retrained`;
    }
  }
  const nlu = trainNlu(data, options);
  const ms = performance.now() - t0;
  try {
    fs.mkdirSync(cache.dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(nlu.toModel()));
    fs.renameSync(tmp, file);
    // older models (other content or code) are never used again
    for (const f of fs.readdirSync(cache.dir)) {
      if (/^nlu-[0-9a-f]+\.json$/.test(f) && f !== path.basename(file)) fs.rmSync(path.join(cache.dir, f), { force: true });
    }
  } catch (err) {
    problem = `could not cache the model (${(err as Error).message})`;
  }
  return { nlu, source: 'trained', ms, file, ...(problem ? { problem } : {}) };
}
