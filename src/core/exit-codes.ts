// The exit codes of every halab command and lab process: one fixed list, documented in README.md
// ("Exit codes"). k6's own codes are k6's (src/load/k6-exit.ts).
export const EXIT = {
  /** Done as asked: every target met, the deployment rolled out, the fault healed. */
  ok: 0,
  /** The run worked but the answer is no: a target missed, the gate found a regression, a deployment rolled back, no topology meets the target. */
  failed: 1,
  /** Usage or configuration error, or a request refused (the message names what, where and what to do). */
  badInput: 2,
  /** Internal error, a lab that failed to start, a deployment that failed without a clean rollback, an upstream (etcd, agent, object store) that failed. */
  internal: 3,
  /** A control-plane instance lost its leadership lease and stopped (fail-stop). */
  lostLeadership: 75,
  /** Interrupted (Ctrl-C, SIGTERM): faults healed, lab down, the report marked interrupted (128 + SIGINT). */
  interrupted: 130,
  /** A stand-in replica whose model version crashes while loading (`crash-on-load`; 128 + SIGABRT). */
  crashedOnLoad: 134,
  /** A stand-in replica emulating a `replica.crash` fault (128 + SIGKILL, as if killed). */
  crashed: 137,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
