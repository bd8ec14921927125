import assert from "node:assert/strict";
import { UsageError } from "../lib/errors.ts";
import { type Notebook, PYTHON_KERNEL } from "./notebook_json.ts";
import {
  effectiveParameters,
  fillPattern,
  injectParameters,
  parseParamArgs,
  readParameters,
} from "./notebook_params.ts";

function notebook(parameters: string): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", source: "# title", metadata: {} },
      { cell_type: "code", source: parameters, metadata: { tags: ["parameters"] }, outputs: [] },
      { cell_type: "code", source: "console.log(seed);", metadata: {}, outputs: [] },
    ],
  };
}

Deno.test("readParameters: const declarations of literals, comments and blank lines", () => {
  const params = readParameters(notebook(
    '// settings\nconst seed = 42; // the generator\n\nconst lr: number = 1e-2;\nconst name = "a \\"b\\"";\nconst fast = false;',
  ));
  assert.deepEqual([...params], [["seed", 42], ["lr", 0.01], ["name", 'a "b"'], ["fast", false]]);
  assert.deepEqual(readParameters({ ...notebook(""), cells: [] }), new Map());
});

Deno.test("readParameters: anything but a literal declaration names the line", () => {
  assert.throws(() => readParameters(notebook("const seed = 40 + 2;")), /"const seed = 40 \+ 2;" is not/);
  assert.throws(() => readParameters(notebook("let seed = 42;")), /"let seed = 42;" is not/);
});

Deno.test("parseParamArgs and effectiveParameters: kinds follow the defaults; mistakes are usage errors", () => {
  const defaults = new Map<string, number | string | boolean>([["seed", 42], ["title", "x"], ["fast", true]]);
  const values = effectiveParameters(defaults, parseParamArgs(["seed=7", "title=a=b", "fast=false"]), "00");
  assert.deepEqual([...values], [["seed", 7], ["title", "a=b"], ["fast", false]]);
  assert.throws(() => parseParamArgs(["seed"]), UsageError);
  assert.throws(() => parseParamArgs(["=7"]), UsageError);
  assert.throws(
    () => effectiveParameters(defaults, new Map([["steps", "3"]]), "00"),
    (err: Error) =>
      err instanceof UsageError &&
      /00 has no parameter steps; its parameters: seed, title, fast/.test(err.message),
  );
  assert.throws(
    () => effectiveParameters(defaults, new Map([["seed", "many"]]), "00"),
    /seed is a number; got "many"/,
  );
  assert.throws(() => effectiveParameters(defaults, new Map([["seed", ""]]), "00"), /seed is a number/);
  assert.throws(
    () => effectiveParameters(defaults, new Map([["fast", "yes"]]), "00"),
    /fast is true or false/,
  );
});

Deno.test("injectParameters: a tagged cell right after the parameters cell; the original is untouched", () => {
  const original = notebook('const seed = 42;\nconst name = "x";');
  const injected = injectParameters(
    original,
    new Map<string, number | string>([["seed", 7], ["name", 'say "hi"']]),
  );
  assert.equal(injected.cells.length, 4);
  assert.equal(original.cells.length, 3);
  assert.deepEqual(injected.cells[2].metadata, { tags: ["injected-parameters"] });
  assert.equal(
    injected.cells[2].source,
    '// Parameters injected for this run\nconst seed = 7;\nconst name = "say \\"hi\\"";\n',
  );
  assert.equal(injected.cells[3].source, "console.log(seed);");
  assert.equal(injectParameters(original, new Map()), original);
});

/** The same notebook on the Python kernel (notebook 10's). */
function pythonNotebook(parameters: string): Notebook {
  const base = notebook(parameters);
  return { ...base, metadata: { kernelspec: { ...PYTHON_KERNEL }, language_info: { name: "python" } } };
}

Deno.test("a Python notebook's parameters: `name = literal  # comment`, True/False; injected as Python", () => {
  const original = pythonNotebook(
    '# settings\nseed = 42  # the generator\nlr: float = 1e-2\nname = "a"\nfast = False',
  );
  const expected = [["seed", 42], ["lr", 0.01], ["name", "a"], ["fast", false]];
  assert.deepEqual([...readParameters(original)], expected);
  assert.throws(
    () => readParameters(pythonNotebook("seed = 40 + 2")),
    /"seed = 40 \+ 2" is not `name = literal`/,
  );
  assert.throws(() => readParameters(pythonNotebook("const seed = 42;")), /is not `name = literal`/);
  assert.throws(() => readParameters(notebook("seed = 42")), /is not `const name = literal;`/);
  const injected = injectParameters(
    original,
    new Map<string, number | string | boolean>([["seed", 7], ["name", 'say "hi"'], ["fast", true]]),
  );
  assert.equal(
    injected.cells[2].source,
    '# Parameters injected for this run\nseed = 7\nname = "say \\"hi\\""\nfast = True\n',
  );
});

Deno.test("fillPattern: {{name}} becomes the value, escaped; regex braces stay", () => {
  const values = new Map<string, number | string>([["steps", 300], ["lr", 0.01]]);
  assert.equal(
    fillPattern("^step {{steps}} / {{steps}} \\| loss \\d{4}$", values),
    "^step 300 / 300 \\| loss \\d{4}$",
  );
  assert.equal(fillPattern("lr {{lr}}", values), "lr 0\\.01");
  assert.ok(new RegExp(fillPattern("lr {{lr}}$", values)).test("lr 0.01"));
  assert.ok(!new RegExp(fillPattern("lr {{lr}}$", values)).test("lr 0x01"));
  assert.equal(fillPattern("{{other}}", values), "{{other}}");
});
