/** One CLI command: its help and what it does. `run` resolves with the exit code. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full help, shown by `robot-control COMMAND --help` and after a usage error. */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** Exit codes: 0 ok, 1 an error with a code (the broker's, the client's, packing's), 2 usage. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;
