import type postgres from 'postgres';

/**
 * One flight: statements sent to Postgres as a single simple-protocol message and answered together.
 *
 * Why one message: on a new connection (every Worker request has one) postgres.js sends the first
 * query alone and the rest only after its answer, and a parameterised statement waits for its own
 * describe round trip. One message with no parameters is one round trip whatever the connection's age.
 *
 * Postgres answers such a message statement by statement, but postgres.js starts a new result only at
 * a row description: a statement that returns no rows (an INSERT without RETURNING, COMMIT) would be
 * folded into the result before it. So every statement is framed by markers that always return a row
 * and carry no count of their own (`SHOW`): a statement without rows lands in the marker before it,
 * which is how it is told apart, and its count survives.
 */

/** The tenant setting the transaction runs under; see db/schema.ts for the policies that read it. */
const TENANT_SETTING = 'app.current_tenant_id';
const MARKER = `show ${TENANT_SETTING}`;

export type Opening = { tenantId: string; readOnly: boolean };

/** The statements of a message in order: the opening (BEGIN, the setting), then `statements`, then `closing`. */
export function frame(opening: Opening | null, statements: readonly string[], closing: 'commit' | null): string {
  const parts: string[] = [];
  if (opening) {
    // Inlined, not a parameter: the caller checked it is a uuid (hex digits and dashes only).
    parts.push(opening.readOnly ? 'begin read only' : 'begin');
    parts.push(`select set_config('${TENANT_SETTING}', '${opening.tenantId}', true)`);
  }
  for (const statement of statements) parts.push(MARKER, statement);
  parts.push(MARKER);
  if (closing) parts.push(closing);
  return parts.join(';\n');
}

/** What a statement answered: its rows as arrays (column order), its count and command tag. */
export type Answer = { rows: unknown[][]; columns: string[]; count: number | null; command: string };

/**
 * Splits the answer to a framed message back into one answer per statement. `results` is what
 * postgres.js resolved the message with in `values()` mode: a list of results, or one result when
 * Postgres sent a single row description.
 */
export function answersOf(
  results: postgres.RowList<postgres.Row[]> | postgres.RowList<postgres.Row[]>[],
  opening: Opening | null,
  statements: number,
): Answer[] {
  const list = isResultList(results) ? results : [results];
  let at = opening ? 2 : 0; // BEGIN and the setting each leave one result
  const answers: Answer[] = [];
  for (let i = 0; i < statements; i++) {
    const marker = list[at];
    if (!marker) break;
    if (marker.command === 'SHOW') {
      answers.push(answerOf(list[at + 1]));
      at += 2;
    } else {
      // No row description of its own: the statement's tag and count landed on the marker before it.
      answers.push({ rows: [], columns: [], count: marker.count ?? null, command: marker.command });
      at += 1;
    }
  }
  if (answers.length !== statements || at !== list.length - 1) {
    throw new Error(`database: ${list.length} results do not frame ${statements} statements`);
  }
  return answers;
}

function answerOf(result: postgres.RowList<postgres.Row[]> | undefined): Answer {
  if (!result) throw new Error('database: a statement has no result');
  return {
    rows: result as unknown as unknown[][],
    columns: (result.columns ?? []).map((column) => column.name),
    count: result.count ?? null,
    command: result.command,
  };
}

// A result is itself an array (its rows), so a list of results is told apart by its first element.
function isResultList(
  value: postgres.RowList<postgres.Row[]> | postgres.RowList<postgres.Row[]>[],
): value is postgres.RowList<postgres.Row[]>[] {
  const first = value[0];
  return Array.isArray(first) && 'command' in first;
}
