// One verdict line of a run: a target against what was measured.

export interface Check {
  readonly name: string;
  /** What the target says, e.g. ">= 0.999" or "<= 2000ms". */
  readonly target: string;
  readonly actual: number | null;
  readonly pass: boolean;
  readonly detail?: string;
}
