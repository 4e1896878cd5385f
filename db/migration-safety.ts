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

/**
 * Also refused, and no marker vouches for it: a statement that needs pgvector outside the guard that
 * skips it on servers without pgvector (the embedded dev Postgres), where it would fail every migration
 * after it. docs/decisions/013-pgvector-skipped-in-dev-required-in-deploys.md.
 */
export type FindingKind = DestructiveKind | 'pgvector';

export interface Finding {
  file: string;
  line: number;
  kinds: FindingKind[];
  statement: string;
}

/** `code` has string literals blanked out, `text` keeps them (the guard names the extension in one). */
type Statement = { code: string; text: string; comments: string[]; line: number };

/** Splits SQL into statements at top-level `;`, keeping the comments above each one apart from its code. */
function statements(sql: string): Statement[] {
  const out: Statement[] = [];
  let code = '';
  let text = '';
  let comments: string[] = [];
  let line = 1;
  let start = 1;
  let i = 0;
  const emit = (asCode: string, asText = asCode) => {
    code += asCode;
    text += asText;
  };
  const flush = () => {
    if (code.trim()) out.push({ code: code.trim(), text: text.trim(), comments, line: start });
    code = '';
    text = '';
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
      emit("''", sql.slice(i, end));
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
      emit(body.replaceAll(';', ' '), body);
      i = stop;
      continue;
    }
    if (ch === ';') {
      flush();
      i++;
      continue;
    }
    if (ch === '\n') line++;
    emit(ch);
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

/**
 * pgvector's types, operator classes and index methods. Words in string literals do not count (they are
 * blanked in `code`, or quoted inside a DO block's body).
 */
const USES_PGVECTOR =
  /(?<![\w"'])(VECTOR|HALFVEC|SPARSEVEC)(?![\w"'])|\b(VECTOR|HALFVEC|SPARSEVEC|BIT)_\w+_OPS\b|\bUSING (HNSW|IVFFLAT)\b/;
const CREATES_PGVECTOR = /\bCREATE EXTENSION (IF NOT EXISTS )?"?VECTOR\b/;

/** What the guard asks: creating the extension waits for it to be available, anything else for it to be installed. */
const AVAILABLE = "PG_AVAILABLE_EXTENSIONS WHERE NAME='VECTOR'";
const INSTALLED = "PG_EXTENSION WHERE EXTNAME='VECTOR'";
const GUARD_HINT =
  "wrap it in DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN … END IF; END $$";

/** The statement is a DO block whose whole body is one IF on `condition`. */
function guardedBy(text: string, condition: string): boolean {
  const flat = text
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/ ?([(),=;]) ?/g, '$1')
    .toUpperCase();
  return new RegExp(`^DO (\\$\\w*\\$) ?BEGIN IF EXISTS\\(SELECT 1 FROM ${condition}\\)THEN .*END IF;END;? ?\\1$`).test(
    flat,
  );
}

/** A statement that needs pgvector where a server without it would fail on it instead of skipping it. */
function unguardedVector(code: string, text: string): boolean {
  const s = code.replace(/\s+/g, ' ').toUpperCase();
  if (CREATES_PGVECTOR.test(s)) return !guardedBy(text, AVAILABLE);
  return USES_PGVECTOR.test(s) && !guardedBy(text, INSTALLED);
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

/** Statements of one migration file that are destructive with no reviewed marker, or use pgvector unguarded. */
export function checkMigrationSql(file: string, sql: string): Finding[] {
  const findings: Finding[] = [];
  for (const { code, text, comments, line } of statements(sql)) {
    const vouched = reviewed(comments);
    const kinds: FindingKind[] = destructiveKinds(code).filter((kind) => !vouched.has(kind));
    if (unguardedVector(code, text)) kinds.push('pgvector');
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
  const destructive = f.kinds.filter((kind) => kind !== 'pgvector');
  const problems = [];
  if (destructive.length) {
    const kinds = destructive.join(', ');
    problems.push(`${kinds} without a reviewed marker (-- safety: reviewed ${kinds}: <why it is safe now>)`);
  }
  if (f.kinds.includes('pgvector')) problems.push(`pgvector without its guard (${GUARD_HINT})`);
  return `${f.file}:${f.line}: ${problems.join('; ')}: ${f.statement}`;
}

export class UnsafeMigrationError extends Error {
  override name = 'UnsafeMigrationError';
  constructor(readonly findings: Finding[]) {
    super(`Migration statements refused by the safety check:\n${findings.map(describeFinding).join('\n')}`);
  }
}

export function assertMigrationsSafe(folder: string): void {
  const findings = checkMigrationsFolder(folder);
  if (findings.length) throw new UnsafeMigrationError(findings);
}
