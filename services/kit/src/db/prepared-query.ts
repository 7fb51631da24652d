import type { Compilable, CompiledQuery, Kysely, QueryResult } from "kysely";

/** A Kysely database or transaction: both run compiled queries with the same dialect. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: the query's own types come from build
type Executor = Pick<Kysely<any>, "executeQuery">;

/** Where the compiled query's parameters come from: a fixed value, or the call's argument at this index. */
type Slot = { readonly value: unknown } | { readonly arg: number };

const placeholder = (index: number) => `\u0000prepared-argument-${index}\u0000`;

/**
 * A query of one shape, built and compiled once: `build` is called with placeholders for its arguments, and each call
 * runs the compiled SQL with the call's arguments where the placeholders were. Building and compiling a Kysely query
 * costs more than SQLite takes to answer a point read; the order path's hottest statements pay it once per store.
 * The first call compiles, with its executor's dialect: a prepared query belongs to one store (one engine).
 * `build` must pass each argument to Kysely as a value, unchanged (a placeholder it transformed is refused).
 */
export function preparedQuery<Args extends unknown[], Row>(arity: number, build: (...args: Args) => Compilable<Row>): (executor: Executor, ...args: Args) => Promise<QueryResult<Row>> {
  let compiled: { readonly query: CompiledQuery<Row>; readonly slots: readonly Slot[] } | undefined;
  const compile = () => {
    const query = build(...(Array.from({ length: arity }, (_, index) => placeholder(index)) as Args)).compile();
    const seen = new Set<number>();
    const slots = query.parameters.map((value): Slot => {
      for (let index = 0; index < arity; index++) {
        if (value === placeholder(index)) {
          seen.add(index);
          return { arg: index };
        }
      }
      return { value };
    });
    if (seen.size !== arity) throw new Error(`prepared query: ${arity - seen.size} of its ${arity} arguments are not plain parameters of "${query.sql}"`);
    return { query, slots };
  };
  return async (executor, ...args) => {
    compiled ??= compile();
    const parameters = compiled.slots.map((slot) => ("arg" in slot ? args[slot.arg] : slot.value));
    return executor.executeQuery<Row>({ ...compiled.query, parameters });
  };
}
