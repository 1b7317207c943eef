import type { SparseVector } from './features';

/** Small deterministic PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffleInPlace<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = xs[i];
    xs[i] = xs[j];
    xs[j] = t;
  }
  return xs;
}

export interface SoftmaxOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

/**
 * Multinomial logistic regression over sparse vectors, trained with Adagrad SGD.
 * Weights are stored feature-major (`W[f * C + c]`) so scoring touches contiguous rows.
 */
export class SoftmaxRegression {
  readonly weights: Float32Array;
  readonly bias: Float32Array;

  constructor(
    readonly numFeatures: number,
    readonly numClasses: number,
  ) {
    this.weights = new Float32Array(numFeatures * numClasses);
    this.bias = new Float32Array(numClasses);
  }

  /** Raw class scores (logits). */
  scores(x: SparseVector, out: Float64Array = new Float64Array(this.numClasses)): Float64Array {
    const C = this.numClasses;
    const W = this.weights;
    for (let c = 0; c < C; c++) out[c] = this.bias[c];
    const { index, value } = x;
    for (let k = 0; k < index.length; k++) {
      const base = index[k] * C;
      const v = value[k];
      for (let c = 0; c < C; c++) out[c] += W[base + c] * v;
    }
    return out;
  }

  /** Class probabilities; `temperature` > 1 flattens them. */
  predict(x: SparseVector, temperature = 1, out: Float64Array = new Float64Array(this.numClasses)): Float64Array {
    this.scores(x, out);
    softmaxInPlace(out, temperature);
    return out;
  }

  train(xs: SparseVector[], ys: ArrayLike<number>, options: SoftmaxOptions): void {
    const C = this.numClasses;
    const W = this.weights;
    const B = this.bias;
    const G = new Float32Array(W.length);
    const GB = new Float32Array(C);
    const eps = 1e-8;
    const { learningRate: lr, l2 } = options;
    const rand = mulberry32(options.seed);
    const order = xs.map((_, i) => i);
    const p = new Float64Array(C);
    const active = new Int32Array(C);
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      shuffleInPlace(order, rand);
      for (const i of order) {
        const x = xs[i];
        const y = ys[i];
        this.predict(x, 1, p);
        p[y] -= 1;
        // only classes with a noticeable gradient are updated (the rest are ~0 after warm-up)
        let nActive = 0;
        for (let c = 0; c < C; c++) if (p[c] > 1e-4 || p[c] < -1e-4) active[nActive++] = c;
        for (let a = 0; a < nActive; a++) {
          const c = active[a];
          const g = p[c];
          GB[c] += g * g;
          B[c] -= (lr * g) / Math.sqrt(GB[c] + eps);
        }
        const { index, value } = x;
        for (let k = 0; k < index.length; k++) {
          const base = index[k] * C;
          const v = value[k];
          for (let a = 0; a < nActive; a++) {
            const j = base + active[a];
            const g = p[active[a]] * v + l2 * W[j];
            G[j] += g * g;
            W[j] -= (lr * g) / Math.sqrt(G[j] + eps);
          }
        }
      }
    }
  }
}

export function softmaxInPlace(s: Float64Array, temperature = 1): void {
  let max = -Infinity;
  for (let c = 0; c < s.length; c++) if (s[c] > max) max = s[c];
  let sum = 0;
  for (let c = 0; c < s.length; c++) {
    s[c] = Math.exp((s[c] - max) / temperature);
    sum += s[c];
  }
  for (let c = 0; c < s.length; c++) s[c] /= sum;
}
