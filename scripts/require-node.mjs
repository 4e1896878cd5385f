// Plain JavaScript with no imports from node_modules: it must run on any Node, before `npm install` has
// succeeded, and say in one line what is wrong. The floor is package.json's `engines.node`.
import { readFileSync } from 'node:fs';

const range = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;

/** Whether `version` (1.2.3) satisfies `range`, written as `^a.b.c || >=n[.m[.p]]` alternatives. */
export function satisfies(version, wanted = range) {
  const v = version.replace(/^v/, '').split('.').map(Number);
  const atLeast = (floor) => {
    for (let i = 0; i < 3; i++) if ((v[i] ?? 0) !== (floor[i] ?? 0)) return (v[i] ?? 0) > (floor[i] ?? 0);
    return true;
  };
  return wanted.split('||').some((alternative) => {
    const [, op, floorText] = /^\s*(\^|>=)\s*([\d.]+)\s*$/.exec(alternative) ?? [];
    if (!op) throw new Error(`package.json engines.node: cannot read "${alternative.trim()}"`);
    const floor = floorText.split('.').map(Number);
    return atLeast(floor) && (op === '>=' || v[0] === floor[0]);
  });
}

export function problem(version = process.versions.node) {
  if (satisfies(version)) return null;
  return `MeatyMusic needs Node ${range} and this is Node ${version}: install Node 24 (\`nvm install\` reads .nvmrc, or https://nodejs.org) and run the command again.`;
}

const found = problem();
if (found) {
  console.error(found);
  process.exit(1);
}
