// Reads a YAML (or JSON) file for a config loader: a file that cannot be read or is not valid YAML
// is a CONFIG_INVALID error (exit 2) naming file:line:column and what the parser found there.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { HalabError } from '../core/errors.js';

/** The YAML parse error's first line, without the "at line L, column C" the position already says. */
function parserMessage(message: string): string {
  return message.split('\n')[0]!.replace(/\s+at line \d+, column \d+:?\s*$/, '').trim();
}

/** The document in `text` as plain data; `file` names it in errors. */
export function parseYamlText(text: string, file: string, what: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new HalabError('CONFIG_INVALID', `${where}: ${what} is not valid YAML: ${parserMessage(error.message)}`, 'fix the syntax at that line and column');
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    // an alias to no anchor, or an alias bomb
    throw new HalabError('CONFIG_INVALID', `${file}: ${what} is not valid YAML: ${parserMessage((err as Error).message)}`);
  }
}

/** Reads and parses a YAML file; `what` says what it is ("topology file", "scenario file"). */
export function readYamlFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HalabError('CONFIG_INVALID', `${file}: cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseYamlText(text, file, what);
}
