/**
 * Nothing leaves the machine (issue 11, "network and start-up"): with an empty Deno cache and a
 * populated `node_modules`, `deno task train` makes no network connection at all (its tasks run
 * `--cached-only`, and the plotting and browser code load only when plots are asked for); and
 * the headless Chromium that exports `--plots svg,png` connects nowhere off the machine and
 * sends nothing there. Watched with `strace -f -yy` on every process (Deno, Chromium and its
 * helpers), which shows each socket's addresses.
 *
 * Deno's own check for a newer Deno (a DNS lookup of dl.deno.land when the cache is empty) is
 * turned off with `DENO_NO_UPDATE_CHECK=1`: it is the runtime's, not this program's.
 */
import assert from "node:assert/strict";
import { ROOT, scriptArgs } from "./cli.ts";

const hasStrace = await new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" }).output()
  .then((o) => o.success, () => false);
const hasChromium = await Deno.stat("/usr/bin/chromium").then((s) => s.isFile, () => false) ||
  Deno.env.get("CHROMIUM_PATH") !== undefined;

/** A socket syscall that reaches off the machine, as strace -yy printed it. */
interface Offence {
  line: string;
}

/** Whether an address (as strace prints it) is this machine's own. */
function isLoopback(address: string): boolean {
  return /^(127\.|\[?::1\]?|\[?::ffff:127\.)/.test(address);
}

/**
 * The lines of an `strace -f -yy -e trace=%network,write,writev,execve` log that reach off the
 * machine: a TCP connect() to another host, any connect() to port 53 (DNS), and any data sent
 * (send*, write*) on a socket whose far end is another host. A UDP connect() that sends nothing
 * only asks the kernel for a route (Chromium does this once to learn its IPv6 address) and is
 * allowed.
 */
function offences(log: string): Offence[] {
  const found: Offence[] = [];
  for (const line of log.split("\n")) {
    const connect =
      /connect\(\d+<(TCP|TCPv6|UDP|UDPv6):[^>]*>, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\).*(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")/
        .exec(line);
    if (connect !== null) {
      const [, proto, port, v4, v6] = connect;
      const address = v4 ?? v6;
      if (!isLoopback(address) && (proto.startsWith("TCP") || port === "53")) found.push({ line });
      continue;
    }
    const send =
      /^\d+ +(?:send|sendto|sendmsg|sendmmsg|write|writev)\(\d+<(?:TCP|TCPv6|UDP|UDPv6):\[[^\]]*\]?[^>]*->\[?([^\]>]+?)\]?:\d+\]>/
        .exec(line);
    if (send !== null && !isLoopback(send[1])) found.push({ line });
  }
  return found;
}

/** Runs `deno <args>` under strace with an empty DENO_DIR; returns the exit code and the log. */
async function traced(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; log: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "microgpt_net_" });
  try {
    const out = await new Deno.Command("strace", {
      args: [
        "-f",
        "--seccomp-bpf",
        "-yy",
        "-e",
        "trace=%network,write,writev,execve",
        "-o",
        `${dir}/strace.log`,
        Deno.execPath(),
        ...args,
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: `${dir}/deno`, ...env },
      stdout: "null",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      log: await Deno.readTextFile(`${dir}/strace.log`),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the strace reader catches what leaves the machine, and only that", () => {
  const log = [
    '1 connect(5<TCP:[9]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("203.0.113.80")}, 16) = -1',
    '2 connect(6<UDP:[10]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0',
    '3 sendto(7<UDPv6:[[fd00::2]:5->[2001:4860:4860::8888]:443]>, "x", 1, 0, NULL, 0) = 1',
    '4 connect(8<TCP:[11]>, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("127.0.0.1")}, 16) = -1',
    '5 connect(9<UDPv6:[12]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    '6 write(10<TCP:[127.0.0.1:40000->127.0.0.1:9]>, "GET", 3) = 3',
  ].join("\n");
  assert.deepEqual(offences(log).map((o) => o.line[0]), ["1", "2", "3"]);
});

Deno.test({
  name: "deno task train with an empty DENO_DIR and node_modules in place: no connection at all",
  ignore: !hasStrace,
  fn: async () => {
    const { code, log, stderr } = await traced([...scriptArgs("cli/train.ts"), "--steps", "5"], {});
    assert.equal(code, 0, stderr);
    const inet = log.split("\n").filter((l) => /connect\(\d+<(TCP|UDP)/.test(l));
    assert.deepEqual(inet, [], "no socket of the internet family was connected");
  },
});

Deno.test({
  name: "--plots svg,png: Chromium connects nowhere off the machine and sends nothing there",
  ignore: !hasStrace || !hasChromium,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "microgpt_net_plots_" });
    try {
      const args = [...scriptArgs("cli/train.ts"), "--steps", "20", "--out", dir, "--plots", "svg,png"];
      const { code, log, stderr } = await traced(args, {});
      assert.equal(code, 0, stderr);
      for (const file of ["loss.svg", "loss.png", "attention.svg", "attention.png"]) {
        assert.ok((await Deno.stat(`${dir}/${file}`)).size > 1000, `${file} was drawn`);
      }
      assert.match(log, /execve\("[^"]*chrom/, "the browser ran under strace");
      assert.deepEqual(offences(log).map((o) => o.line), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
