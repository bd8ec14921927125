/**
 * The layers of the code and the rules between them, checked on the real import graph
 * (`deno info --json`): `tests/layers_test.ts` fails on an import against the rules, and
 * `deno task layers` redraws docs/LAYERS.md (the layer diagram and every file's imports).
 *
 * @module
 */

/** The layers, bottom up: a folder's files (`lib/*.ts`: the files directly in `lib/`). */
export const LAYERS = [
  {
    name: "core",
    folder: "lib/*.ts",
    about:
      "microgpt itself: data, tokenizer, Value, model, Adam, the Engine interface, ValueEngine, Trainer, sampling",
  },
  {
    name: "fast",
    folder: "lib/fast/",
    about: "the fast engine: flat arrays, hand-written backward",
  },
  {
    name: "tensor",
    folder: "lib/tensor/",
    about: "the tensor engine: matrices with autograd, the GPT on them, minibatches",
  },
  {
    name: "plot",
    folder: "lib/plot/",
    about: "figures, showing them in Jupyter, saving them",
  },
  {
    name: "experiment",
    folder: "lib/experiment/",
    about: "engines by name, run records, checkpoints, experiments, validation, sweeps",
  },
  { name: "cli", folder: "cli/", about: "the command-line tasks" },
  { name: "bench", folder: "bench/", about: "deno task bench" },
  { name: "tools", folder: "tools/", about: "notebook runner and checker, this file" },
  { name: "tests", folder: "tests/", about: "end-to-end tests" },
] as const;

/** A layer's name. `mod` is `lib/mod.ts`, which only re-exports the library. */
export type Layer = typeof LAYERS[number]["name"] | "mod";

/**
 * What each layer may import (besides itself), and whether it may use npm packages. The core
 * depends on nothing (like microgpt.py); engines and plots stand on the core alone; experiments
 * choose engines by name; `lib/` never imports the programs around it.
 */
export const RULES: Record<Layer, { imports: readonly Layer[]; npm: boolean }> = {
  core: { imports: [], npm: false },
  fast: { imports: ["core"], npm: false },
  tensor: { imports: ["core"], npm: false },
  plot: { imports: ["core"], npm: true },
  experiment: { imports: ["core", "fast", "tensor"], npm: true },
  mod: { imports: ["core", "fast", "tensor", "plot", "experiment"], npm: true },
  cli: { imports: ["core", "fast", "tensor", "plot", "experiment", "mod"], npm: true },
  bench: { imports: ["core", "fast", "tensor", "plot", "experiment", "mod"], npm: true },
  tools: { imports: ["core", "fast", "tensor", "plot", "experiment", "mod", "cli"], npm: true },
  tests: { imports: ["core", "fast", "tensor", "plot", "experiment", "mod", "cli", "tools"], npm: true },
};

/** The layer of a path relative to the repository root, or undefined for a file outside them. */
export function layerOf(path: string): Layer | undefined {
  if (path === "lib/mod.ts") return "mod";
  if (/^lib\/[^/]+\.ts$/.test(path)) return "core";
  return LAYERS.find((layer) => layer.folder.endsWith("/") && path.startsWith(layer.folder))?.name;
}

/** One import: from a repository file to another, or to an npm package (`npm:name`). */
export interface ImportEdge {
  from: string;
  to: string;
}

/**
 * The imports that break `RULES`, each as one line: `lib/train.ts (core) imports
 * lib/fast/engine.ts (fast)`. Files outside every layer are reported too.
 */
export function violations(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const fromLayer = layerOf(from);
    if (fromLayer === undefined) {
      problems.push(`${from} is in no layer; put it in one (tools/layers.ts)`);
      continue;
    }
    if (to.startsWith("npm:")) {
      if (!RULES[fromLayer].npm) {
        problems.push(`${from} (${fromLayer}) imports the npm package ${to.slice(4)}`);
      }
      continue;
    }
    if (to.startsWith("node:")) continue;
    const toLayer = layerOf(to);
    if (toLayer === undefined) problems.push(`${from} (${fromLayer}) imports ${to}, which is in no layer`);
    else if (toLayer !== fromLayer && !RULES[fromLayer].imports.includes(toLayer)) {
      problems.push(`${from} (${fromLayer}) imports ${to} (${toLayer})`);
    }
  }
  return problems;
}

/** The repository root. */
export const ROOT = new URL("..", import.meta.url).pathname;

/** Every `.ts` file of the layers' folders, relative to the root. */
export async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  for (const dir of ["lib", "cli", "bench", "tools", "tests"]) await walk(dir);
  return files.sort();
}

/**
 * Every import of every source file, from `deno info --json` on one module that imports them
 * all (so workers and test files, which no entry point reaches, are included).
 */
export async function importEdges(): Promise<ImportEdge[]> {
  const files = await sourceFiles();
  const dir = await Deno.makeTempDir({ prefix: "microgpt_layers_" });
  try {
    const entry = `${dir}/all.ts`;
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import "${new URL(f, `file://${ROOT}`).href}";\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", `${ROOT}deno.json`, entry],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
    const edges: ImportEdge[] = [];
    for (const module of info.modules) {
      const from = repoPath(module.specifier);
      if (from === undefined) continue;
      for (const dep of module.dependencies ?? []) {
        const target = dep.code?.specifier ?? dep.type?.specifier;
        if (target === undefined) continue;
        const to = target.startsWith("npm:")
          ? `npm:${target.replace(/^npm:\/?/, "").replace(/@[^@/]+$/, "")}`
          : repoPath(target) ?? target;
        edges.push({ from, to });
      }
    }
    return edges;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The part of `deno info --json` used here. */
interface DenoInfo {
  modules: {
    specifier: string;
    dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
  }[];
}

function repoPath(specifier: string): string | undefined {
  const root = `file://${ROOT}`;
  return specifier.startsWith(root) ? specifier.slice(root.length) : undefined;
}

/** docs/LAYERS.md: the layer diagram (mermaid), the rules, and each library file's imports. */
export function layersMarkdown(edges: readonly ImportEdge[]): string {
  const lib = edges.filter((e) => e.from.startsWith("lib/") && !e.from.endsWith("_test.ts"));
  const layerEdges = new Set<string>();
  for (const { from, to } of lib) {
    const a = layerOf(from);
    const b = to.startsWith("npm:") ? undefined : layerOf(to);
    if (a !== undefined && b !== undefined && a !== b) layerEdges.add(`  ${a} --> ${b}`);
  }
  const byFile = new Map<string, string[]>();
  for (const { from, to } of lib) byFile.set(from, [...(byFile.get(from) ?? []), to]);
  const fileLines = [...byFile.keys()].sort().map((file) =>
    `| \`${file}\` | ${layerOf(file)} | ${
      [...new Set(byFile.get(file))].sort().map((t) => `\`${t}\``).join(", ")
    } |`
  );
  return [
    "# Layers",
    "",
    "Generated by `deno task layers` from `deno info --json` (do not edit by hand). The rules are in",
    "`tools/layers.ts` and checked by `tests/layers_test.ts`.",
    "",
    "## The library's layers and what each imports",
    "",
    "```mermaid",
    "graph BT",
    ...[...layerEdges].sort(),
    "```",
    "",
    "| layer | folder | what | may import | npm |",
    "| --- | --- | --- | --- | --- |",
    ...LAYERS.filter((l) => l.folder.startsWith("lib/")).map((l) =>
      `| ${l.name} | \`${l.folder}\` | ${l.about} | ${RULES[l.name].imports.join(", ") || "nothing"} | ${
        RULES[l.name].npm ? "yes" : "no"
      } |`
    ),
    "",
    "## Each library file's imports",
    "",
    "| file | layer | imports |",
    "| --- | --- | --- |",
    ...fileLines,
    "",
  ].join("\n");
}

if (import.meta.main) {
  const edges = await importEdges();
  const problems = violations(edges);
  for (const problem of problems) console.error(`layer rule broken: ${problem}`);
  await Deno.writeTextFile(`${ROOT}docs/LAYERS.md`, layersMarkdown(edges));
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", `${ROOT}docs/LAYERS.md`], cwd: ROOT })
    .output();
  console.error(`wrote docs/LAYERS.md (${edges.length} imports, ${problems.length} broken rules)`);
  if (problems.length > 0) Deno.exit(1);
}
