/**
 * Notebook parameters, papermill's convention: a notebook's settings live in the one code
 * cell tagged `parameters`, one `const name = literal;` per line (`name = literal  # comment`
 * in a Python notebook); a run with overrides gets a cell tagged `injected-parameters` right
 * after it that declares the new values (a later `const`, or assignment, of the same name
 * replaces the earlier one in the kernel).
 *
 * @module
 */

import { UsageError } from "../lib/errors.ts";
import { isPythonNotebook, joinText, type Notebook, type NotebookCell } from "./notebook_json.ts";

/** The tag of the cell holding a notebook's parameters. */
export const PARAMETERS_TAG = "parameters";
/** The tag of the cell a run with overrides inserts after it. */
export const INJECTED_TAG = "injected-parameters";

/** A parameter's value: the literal kinds a parameters cell may use. */
export type ParameterValue = number | string | boolean;

/** How one language writes a parameter: its declaration, its comments, its literals. */
interface ParameterSyntax {
  /** What a declaration looks like, for error messages. */
  shape: string;
  /** A line that declares: group 1 the name, group 2 the literal. */
  declaration: RegExp;
  comment: string;
  /** The literal as a value. */
  parse(literal: string): ParameterValue;
  /** A declaration of `name` with `value`. */
  declare(name: string, value: ParameterValue): string;
}

const TYPESCRIPT: ParameterSyntax = {
  shape: "const name = literal;",
  // `const name = literal;` with an optional type annotation and trailing comment.
  declaration:
    /^const\s+([A-Za-z_$][\w$]*)\s*(?::\s*[A-Za-z]+\s*)?=\s*(-?[\d.]+(?:e-?\d+)?|"(?:[^"\\]|\\.)*"|true|false)\s*;\s*(?:\/\/.*)?$/,
  comment: "//",
  parse: (literal) => JSON.parse(literal) as ParameterValue,
  declare: (name, value) => `const ${name} = ${JSON.stringify(value)};`,
};

const PYTHON: ParameterSyntax = {
  shape: "name = literal",
  // `name = literal` with an optional annotation and trailing comment; strings in double quotes.
  declaration:
    /^([A-Za-z_]\w*)\s*(?::\s*[A-Za-z]+\s*)?=\s*(-?[\d.]+(?:e-?\d+)?|"(?:[^"\\]|\\.)*"|True|False)\s*(?:#.*)?$/,
  comment: "#",
  parse: (literal) =>
    literal === "True" ? true : literal === "False" ? false : JSON.parse(literal) as ParameterValue,
  declare: (name, value) =>
    `${name} = ${typeof value === "boolean" ? (value ? "True" : "False") : JSON.stringify(value)}`,
};

/** The parameter syntax of a notebook's language (by its kernelspec). */
function syntaxOf(notebook: Notebook): ParameterSyntax {
  return isPythonNotebook(notebook) ? PYTHON : TYPESCRIPT;
}

function tags(cell: NotebookCell): string[] {
  const value = cell.metadata.tags;
  return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
}

/** The index of the cell tagged `parameters`, or -1. */
export function parametersCellIndex(notebook: Notebook): number {
  return notebook.cells.findIndex((cell) => cell.cell_type === "code" && tags(cell).includes(PARAMETERS_TAG));
}

/**
 * A notebook's parameters and their default values, in the order declared. Throws an Error
 * naming the line when the parameters cell holds anything but `const` declarations of
 * literals (in a Python notebook, `name = literal` assignments) and comments; an empty map
 * when there is no such cell.
 *
 * @example
 * ```ts
 * import { readParameters } from "./notebook_params.ts";
 * const params = readParameters({
 *   nbformat: 4, nbformat_minor: 5, metadata: {},
 *   cells: [{ cell_type: "code", metadata: { tags: ["parameters"] },
 *     source: 'const seed = 42; // every random choice\nconst title = "names";' }],
 * });
 * console.log(params); // Map(2) { "seed" => 42, "title" => "names" }
 * const python = readParameters({
 *   nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "python3", language: "python" } },
 *   cells: [{ cell_type: "code", metadata: { tags: ["parameters"] }, source: "steps = 100  # steps\nfast = True" }],
 * });
 * console.log(python); // Map(2) { "steps" => 100, "fast" => true }
 * ```
 */
export function readParameters(notebook: Notebook): Map<string, ParameterValue> {
  const index = parametersCellIndex(notebook);
  const params = new Map<string, ParameterValue>();
  if (index < 0) return params;
  const syntax = syntaxOf(notebook);
  for (const line of joinText(notebook.cells[index].source).split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith(syntax.comment)) continue;
    const match = trimmed.match(syntax.declaration);
    if (match === null) {
      throw new Error(`parameters cell (cell ${index + 1}): "${trimmed}" is not \`${syntax.shape}\``);
    }
    params.set(match[1], syntax.parse(match[2]));
  }
  return params;
}

/**
 * Parses `name=value` strings (the command line's `--param`) into a map.
 *
 * @example
 * ```ts
 * import { parseParamArgs } from "./notebook_params.ts";
 * console.log(parseParamArgs(["seed=7", "title=a=b"])); // Map(2) { "seed" => "7", "title" => "a=b" }
 * ```
 */
export function parseParamArgs(args: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param needs name=value, got "${arg}"`);
    params.set(arg.slice(0, eq), arg.slice(eq + 1));
  }
  return params;
}

/** `text` as a value of the same kind as `current`; a UsageError naming the parameter otherwise. */
function convert(name: string, text: string, current: ParameterValue): ParameterValue {
  if (typeof current === "number") {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
      throw new UsageError(`parameter ${name} is a number; got "${text}"`);
    }
    return value;
  }
  if (typeof current === "boolean") {
    if (text !== "true" && text !== "false") {
      throw new UsageError(`parameter ${name} is true or false; got "${text}"`);
    }
    return text === "true";
  }
  return text;
}

/**
 * The values a run uses: the notebook's defaults with `overrides` applied (each converted to
 * its parameter's kind). An override the notebook does not declare is a UsageError that lists
 * the ones it does.
 *
 * @example
 * ```ts
 * import { effectiveParameters } from "./notebook_params.ts";
 * const values = effectiveParameters(new Map([["seed", 42], ["steps", 1000]]), new Map([["steps", "300"]]), "00");
 * console.log(values); // Map(2) { "seed" => 42, "steps" => 300 }
 * ```
 */
export function effectiveParameters(
  defaults: ReadonlyMap<string, ParameterValue>,
  overrides: ReadonlyMap<string, string>,
  notebookName: string,
): Map<string, ParameterValue> {
  const values = new Map(defaults);
  for (const [name, text] of overrides) {
    const current = defaults.get(name);
    if (current === undefined) {
      throw new UsageError(
        `${notebookName} has no parameter ${name}; its parameters: ${
          [...defaults.keys()].join(", ") || "none"
        }`,
      );
    }
    values.set(name, convert(name, text, current));
  }
  return values;
}

/**
 * A copy of `notebook` with a cell tagged `injected-parameters` after its parameters cell,
 * declaring `overrides` (already converted) in the notebook's language. Without overrides, the
 * notebook itself.
 *
 * @example
 * ```ts
 * import { injectParameters } from "./notebook_params.ts";
 * const nb = injectParameters({
 *   nbformat: 4, nbformat_minor: 5, metadata: {},
 *   cells: [{ cell_type: "code", metadata: { tags: ["parameters"] }, source: "const seed = 42;" }],
 * }, new Map([["seed", 7]]));
 * console.log(nb.cells[1].source); // // Parameters injected for this run\nconst seed = 7;\n
 * ```
 */
export function injectParameters(
  notebook: Notebook,
  overrides: ReadonlyMap<string, ParameterValue>,
): Notebook {
  if (overrides.size === 0) return notebook;
  const index = parametersCellIndex(notebook);
  if (index < 0) throw new Error("the notebook has no cell tagged `parameters`");
  const syntax = syntaxOf(notebook);
  const lines = [...overrides].map(([name, value]) => syntax.declare(name, value));
  const cell: NotebookCell = {
    cell_type: "code",
    id: INJECTED_TAG,
    metadata: { tags: [INJECTED_TAG] },
    source: `${syntax.comment} Parameters injected for this run\n${lines.join("\n")}\n`,
    outputs: [],
    execution_count: null,
  };
  return {
    ...notebook,
    cells: [...notebook.cells.slice(0, index + 1), cell, ...notebook.cells.slice(index + 1)],
  };
}

/**
 * `pattern` with each `{{name}}` replaced by that parameter's value, escaped for a regular
 * expression; an unknown name is left as it is (and will not match).
 *
 * @example
 * ```ts
 * import { fillPattern } from "./notebook_params.ts";
 * console.log(fillPattern("^step {{steps}} / {{steps}}$", new Map([["steps", 300]]))); // ^step 300 / 300$
 * ```
 */
export function fillPattern(pattern: string, values: ReadonlyMap<string, ParameterValue>): string {
  return pattern.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values.get(name);
    return value === undefined ? whole : String(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
}
