// The order rows are trained in: a fresh shuffle each epoch, read as one endless stream so a step may span
// an epoch boundary. Its whole state (epoch, position, this epoch's order, RNG state) goes into checkpoints,
// so a resumed run reads exactly the rows an uninterrupted run would have read.

import { Rng } from '../util/random.ts';

export interface StreamState {
  readonly epoch: number;
  readonly position: number;
  readonly order: number[];
  readonly rng: number[];
}

export class RowStream {
  private epoch = 0;
  private position = 0;
  private order: number[];
  private readonly rng: Rng;

  constructor(
    private readonly rowCount: number,
    seed: number,
    state?: StreamState,
  ) {
    if (state) {
      this.rng = new Rng(state.rng);
      this.epoch = state.epoch;
      this.position = state.position;
      this.order = [...state.order];
    } else {
      this.rng = new Rng(seed);
      this.order = this.shuffled();
    }
  }

  private shuffled(): number[] {
    return this.rng.shuffle(Array.from({ length: this.rowCount }, (_, i) => i));
  }

  /** Indices of the next `n` rows, moving on to a new shuffled epoch when this one runs out. */
  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.position === this.rowCount) {
        this.epoch++;
        this.position = 0;
        this.order = this.shuffled();
      }
      out.push(this.order[this.position++]);
    }
    return out;
  }

  /** Completed epochs plus the fraction of the current one. */
  get epochs(): number {
    return this.epoch + this.position / this.rowCount;
  }

  state(): StreamState {
    return { epoch: this.epoch, position: this.position, order: [...this.order], rng: this.rng.state() };
  }
}
