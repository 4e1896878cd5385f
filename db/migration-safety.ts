import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Refuses migrations that would break the code still running while they apply (the deployed Worker
 * and every preview keep serving on the migrated schema) unless each such statement carries a
 * reviewed marker in the comment just above it:
 *
 *   -- safety: reviewed drop: contract step of 0007; no release since 0005 reads "legacy_name"
 *   ALTER TABLE "users" DROP COLUMN "legacy_name";
 *
 * The kinds are the ones below; a marker names every kind its statement has. docs/deploy.md explains
 * the expand/contract sequence that keeps such steps rare.
 */
export type DestructiveKind = 'drop' | 'truncate' | 'type-change' | 'rename' | 'not-null';

export interface Finding {
  file: string;
  line: number;
  kinds: DestructiveKind[];
  statement: string;
}

type Statement = { code: string; comments: string[]; line: number };

/** Splits SQL into statements at top-level `;`, keeping the comments above each one apart from its code. */
function statements(sql: string): Statement[] {
  const out: Statement[] = [];
  let code = '';
  let comments: string[] = [];
  let line = 1;
  let start = 1;
  let i = 0;
  const flush = () => {
    if (code.trim()) out.push({ code: code.trim(), comments, line: start });
    code = '';
    comments = [];
  };
  while (i < sql.length) {
    const ch = sql[i] as string;
    const rest = sql.slice(i);
    if (!code.trim()) start = line;
    if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      const text = sql.slice(i + 2, end === -1 ? sql.length : end);
      // drizzle-kit's separator is a comment too; it ends a statement like `;` does.
      if (text.trim() === '> statement-breakpoint') flush();
      else comments.push(text.trim());
      i = end === -1 ? sql.length : end;
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      const body = sql.slice(i + 2, end === -1 ? sql.length : end);
      comments.push(body.trim());
      line += body.split('\n').length - 1;
      i = end === -1 ? sql.length : end + 2;
      continue;
    }
    if (ch === "'") {
      // A literal's words are data, not statements: keep a placeholder so the shape stays readable.
      const end = closingQuote(sql, i);
      line += sql.slice(i, end).split('\n').length - 1;
      code += "''";
      i = end;
      continue;
    }
    const dollar = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
    if (dollar) {
      // Bodies of DO blocks and functions are scanned as code: a DROP inside one still drops.
      const end = sql.indexOf(dollar[0], i + dollar[0].length);
      const stop = end === -1 ? sql.length : end + dollar[0].length;
      const body = sql.slice(i, stop);
      line += body.split('\n').length - 1;
      code += body.replaceAll(';', ' ');
      i = stop;
      continue;
    }
    if (ch === ';') {
      flush();
      i++;
      continue;
    }
    if (ch === '\n') line++;
    code += ch;
    i++;
  }
  flush();
  return out;
}

function closingQuote(sql: string, open: number): number {
  let i = open + 1;
  while (i < sql.length) {
    if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
    else if (sql[i] === "'") return i + 1;
    else i++;
  }
  return sql.length;
}

/** The destructive kinds of one statement (comments and string literals already removed). */
export function destructiveKinds(code: string): DestructiveKind[] {
  const s = code.replace(/\s+/g, ' ').toUpperCase();
  const kinds = new Set<DestructiveKind>();
  if (/(^|[\s(])DROP\s(?!NOT NULL)/.test(s)) kinds.add('drop');
  if (/(^|\s)TRUNCATE\s/.test(s)) kinds.add('truncate');
  if (/ALTER COLUMN \S+ (SET DATA )?TYPE\s/.test(s)) kinds.add('type-change');
  if (/(^|\s)RENAME\s/.test(s)) kinds.add('rename');
  if (/ALTER COLUMN \S+ SET NOT NULL/.test(s) || addsRequiredColumn(s)) kinds.add('not-null');
  return [...kinds];
}

/** `ALTER TABLE t ADD [COLUMN] c type NOT NULL` with no DEFAULT: fails on rows that exist, and on old code's inserts. */
function addsRequiredColumn(s: string): boolean {
  const alter = /^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?\S+ (.*)$/.exec(s);
  if (!alter?.[1]) return false;
  return topLevelParts(alter[1]).some((action) => {
    const add = /^ADD (?!CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK|EXCLUDE)/.test(action);
    return add && /\bNOT NULL\b/.test(action) && !/\b(DEFAULT|GENERATED)\b/.test(action);
  });
}

function topLevelParts(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  parts.push(current.trim());
  return parts;
}

const MARKER = /^safety: reviewed ([a-z-]+(?:\s*,\s*[a-z-]+)*)\s*:\s*\S/;

/** Kinds a statement's comments vouch for; a marker without a reason vouches for nothing. */
function reviewed(comments: string[]): Set<string> {
  const kinds = new Set<string>();
  for (const comment of comments) {
    const match = MARKER.exec(comment);
    for (const kind of match?.[1]?.split(',') ?? []) kinds.add(kind.trim());
  }
  return kinds;
}

/** Destructive statements of one migration file that no reviewed marker covers. */
export function checkMigrationSql(file: string, sql: string): Finding[] {
  const findings: Finding[] = [];
  for (const { code, comments, line } of statements(sql)) {
    const vouched = reviewed(comments);
    const kinds = destructiveKinds(code).filter((kind) => !vouched.has(kind));
    if (kinds.length) findings.push({ file, line, kinds, statement: code.replace(/\s+/g, ' ').slice(0, 160) });
  }
  return findings;
}

/** Every `.sql` file of the folder, in the order they apply. */
export function checkMigrationsFolder(folder: string): Finding[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .flatMap((name) => checkMigrationSql(name, readFileSync(join(folder, name), 'utf8')));
}

export function describeFinding(f: Finding): string {
  return (
    `${f.file}:${f.line}: ${f.kinds.join(', ')} without a reviewed marker ` +
    `(-- safety: reviewed ${f.kinds.join(', ')}: <why it is safe now>): ${f.statement}`
  );
}

export class UnsafeMigrationError extends Error {
  override name = 'UnsafeMigrationError';
  constructor(readonly findings: Finding[]) {
    super(`Destructive migration statements need review:\n${findings.map(describeFinding).join('\n')}`);
  }
}

export function assertMigrationsSafe(folder: string): void {
  const findings = checkMigrationsFolder(folder);
  if (findings.length) throw new UnsafeMigrationError(findings);
}
