// The one command-line walker of the subcommands (render, agent, fetch): `--flag value`,
// `--flag=value`, bare flags, and `--` for what follows. Each command keeps its own table of
// flags and its own error type.

export interface Flag {
  /** The argument as given. */
  arg: string;
  /** The flag's name (`--out` of `--out=x`). */
  name: string;
  /** Its value: after `=`, else the next argument (consumed); `fail` when there is none. */
  value(): string;
  /** Every argument after this one (for `--`); the caller stops walking. */
  rest(): string[];
}

export function* eachFlag(argv: readonly string[], fail: (message: string) => Error): Generator<Flag> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    yield {
      arg,
      name,
      value: () => {
        if (eq > 0) return arg.slice(eq + 1);
        const v = argv[++i];
        if (v === undefined) throw fail(`${name} needs a value`);
        return v;
      },
      rest: () => argv.slice(i + 1),
    };
  }
}
