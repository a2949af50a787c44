#!/usr/bin/env node
// Fails (exit 1) when a folder of src/ imports a higher layer or folders import each other in a
// cycle. The layers, lowest first, are the architecture of DESIGN.md; `npm test` runs this check.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAYERS = [
  ['gen', 'core'],
  ['protocol'],
  ['record'],
  ['config'],
  ['policy'],
  ['store'],
  ['process'],
  ['replica'],
  ['gateway', 'controlplane'],
  ['lab'],
  ['chaos'],
  ['load'],
  ['measure', 'sim'],
  ['report'],
  ['run'],
  ['cli'],
];

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Folder-level import edges of src/: Map<fromFolder, Map<toFolder, exampleFile>>. */
export function folderEdges(srcDir) {
  const edges = new Map();
  for (const file of sourceFiles(srcDir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const from = relative(srcDir, dirname(file)).split(sep).join('/');
      const to = relative(srcDir, dirname(normalize(join(dirname(file), m[1])))).split(sep).join('/');
      if (from === to || to.startsWith('gen')) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from).has(to)) edges.get(from).set(to, relative(srcDir, file));
    }
  }
  return edges;
}

/** Problems found: a layer violation or a folder cycle, each one line. */
export function layerProblems(srcDir) {
  const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));
  const edges = folderEdges(srcDir);
  const problems = [];
  for (const [from, tos] of edges) {
    const top = from.split('/')[0];
    if (!rank.has(top)) problems.push(`src/${from}: folder not in any layer (add it to scripts/check-layers.mjs)`);
    for (const [to, file] of tos) {
      const toTop = to.split('/')[0];
      if (toTop !== top && rank.get(toTop) >= rank.get(top)) problems.push(`src/${file} imports src/${to}: ${top} may not import ${toTop} (same or higher layer)`);
    }
  }
  // cycles between any two folders (sub-folders included), by depth-first search
  const state = new Map();
  const stack = [];
  const visit = (node) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') problems.push(`folder cycle: ${[...stack.slice(stack.indexOf(next)), next].map((f) => `src/${f}`).join(' -> ')}`);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const problems = layerProblems(srcDir);
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log(`layers: ${folderEdges(srcDir).size} folders, no cycle, no upward import`);
}
