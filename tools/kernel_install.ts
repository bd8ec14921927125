/**
 * `deno task kernel-install`: registers the Jupyter kernelspec `deno-microgpt` ("Deno
 * (microgpt)"): Deno's kernel behind `tools/kernel_proxy.py`, which keeps every output under
 * its own cell (docs/KERNEL.md). The proxy is copied into the kernelspec folder and the
 * absolute paths of Python and Deno are written into its `kernel.json`, so the kernel keeps
 * working wherever this checkout moves. Deno's own `deno` kernelspec is left alone.
 *
 * @module
 */

import { runCli } from "../cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { MICROGPT_KERNEL } from "./notebook_json.ts";
import { jupyterPython } from "./run_notebooks.ts";

/** The proxy's source in this checkout. */
export const PROXY_SOURCE = new URL("./kernel_proxy.py", import.meta.url);

/** The `kernel.json` of the kernelspec. */
export interface KernelSpecJson {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "message" | "signal";
  env: Record<string, string>;
}

/**
 * The kernelspec for a proxy installed at `proxyPath`, run by `python`, in front of `deno`.
 * Interrupts go as messages (the proxy passes them to Deno); NO_COLOR keeps ANSI codes out of
 * results and errors.
 *
 * @example
 * ```ts
 * import { kernelSpec } from "./kernel_install.ts";
 * const spec = kernelSpec("/usr/bin/python3", "/k/kernel_proxy.py", "/usr/bin/deno");
 * console.log(spec.argv.join(" ")); // /usr/bin/python3 /k/kernel_proxy.py --deno /usr/bin/deno {connection_file}
 * ```
 */
export function kernelSpec(python: string, proxyPath: string, deno: string): KernelSpecJson {
  return {
    argv: [python, proxyPath, "--deno", deno, "{connection_file}"],
    display_name: MICROGPT_KERNEL.display_name,
    language: MICROGPT_KERNEL.language,
    interrupt_mode: "message",
    env: { NO_COLOR: "1" },
  };
}

async function pythonOutput(python: string, code: string): Promise<{ ok: boolean; text: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(python, { args: ["-c", code], stdout: "piped", stderr: "piped" })
      .output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`${python} not found; install Jupyter with \`apt-get install jupyter-client\``);
    }
    throw err;
  }
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { ok: output.success, text: output.success ? decode(output.stdout) : decode(output.stderr) };
}

/** Jupyter's per-user data folder (where `jupyter kernelspec install --user` writes). */
export async function jupyterDataDir(python = jupyterPython()): Promise<string> {
  const found = await pythonOutput(
    python,
    "from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())",
  );
  if (!found.ok) {
    throw new UsageError(
      `${python} cannot import jupyter_core; \`apt-get install jupyter-client\` or set JUPYTER_PYTHON`,
    );
  }
  return found.text;
}

/**
 * Writes the kernelspec into `<dataDir>/kernels/deno-microgpt/` (kernel.json and a copy of the
 * proxy) and returns that folder. Fails with a UsageError when `python` lacks pyzmq.
 *
 * @example
 * ```ts ignore
 * const dir = await installKernel({ dataDir: "/tmp/jupyter" }); // then JUPYTER_PATH=/tmp/jupyter
 * ```
 */
export async function installKernel(
  options: { dataDir?: string; python?: string; deno?: string } = {},
): Promise<string> {
  const python = options.python ?? jupyterPython();
  const zmq = await pythonOutput(python, "import zmq; print(zmq.__version__)");
  if (!zmq.ok) {
    throw new UsageError(
      `${python} cannot import zmq (pyzmq); \`apt-get install python3-zmq\` or set JUPYTER_PYTHON`,
    );
  }
  const dataDir = options.dataDir ?? await jupyterDataDir(python);
  const dir = `${dataDir}/kernels/${MICROGPT_KERNEL.name}`;
  await Deno.mkdir(dir, { recursive: true });
  const proxyPath = `${dir}/kernel_proxy.py`;
  await Deno.copyFile(PROXY_SOURCE, proxyPath);
  const spec = kernelSpec(python, proxyPath, options.deno ?? Deno.execPath());
  await Deno.writeTextFile(`${dir}/kernel.json`, JSON.stringify(spec, null, 1) + "\n");
  return dir;
}

/**
 * Where Jupyter finds the `deno-microgpt` kernelspec, or null when it is not registered.
 * `env` is the environment Jupyter will run in (e.g. with `JUPYTER_PATH`).
 */
export async function findKernel(
  env: Record<string, string> = {},
  python = jupyterPython(),
): Promise<string | null> {
  const output = await new Deno.Command(python, {
    args: [
      "-c",
      `import jupyter_client.kernelspec as k\ntry:\n  print(k.KernelSpecManager().get_kernel_spec("${MICROGPT_KERNEL.name}").resource_dir)\nexcept k.NoSuchKernel:\n  pass`,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dir = new TextDecoder().decode(output.stdout).trim();
  return output.success && dir !== "" ? dir : null;
}

/**
 * Checks that the registered `deno-microgpt` kernel exists and runs this checkout's proxy; a
 * UsageError that says to run `deno task kernel-install` otherwise.
 */
export async function requireCurrentKernel(env: Record<string, string> = {}): Promise<string> {
  const dir = await findKernel(env);
  if (dir === null) {
    throw new UsageError(
      `Jupyter has no \`${MICROGPT_KERNEL.name}\` kernel; register it with \`deno task kernel-install\``,
    );
  }
  const installed = await Deno.readTextFile(`${dir}/kernel_proxy.py`).catch(() => "");
  if (installed !== await Deno.readTextFile(PROXY_SOURCE)) {
    throw new UsageError(
      `the \`${MICROGPT_KERNEL.name}\` kernel in ${dir} is not this checkout's tools/kernel_proxy.py; run \`deno task kernel-install\``,
    );
  }
  return dir;
}

async function main(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "Usage: deno task kernel-install [--data-dir DIR]\n\n" +
        `Registers the Jupyter kernel "${MICROGPT_KERNEL.display_name}" (${MICROGPT_KERNEL.name}) for this user, or in\n` +
        "DIR/kernels/ (then set JUPYTER_PATH=DIR). Run it again after updating this checkout.",
    );
    return;
  }
  let dataDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--data-dir" && args[i + 1] !== undefined) dataDir = args[++i];
    else throw new UsageError(`unknown argument ${args[i]}; see --help`);
  }
  const dir = await installKernel({ dataDir });
  console.log(`installed the Jupyter kernel "${MICROGPT_KERNEL.display_name}" in ${dir}`);
}

if (import.meta.main) await runCli(() => main(Deno.args));
