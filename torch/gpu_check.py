"""
A short check of torch/microgpt.py on a CUDA GPU, for a machine that has this repository, Python 3 and
PyTorch (1.13 or 2.x) and nothing else. From the repository root:

    python3 torch/gpu_check.py            # on a GPU (expected: a minute or two)
    python3 torch/gpu_check.py --device cpu --quick    # the same checks on the CPU (gloo), about 15 s

NOT RUN ON A GPU YET. This project has had no GPU to run it on: the CUDA and NCCL paths (checks 1-4 with
`--device cuda`) have never been executed. What is tested is its CPU mode (`--device cpu --quick`, run by
torch/test_microgpt.py), which goes through the same code with the CPU and gloo in place of the GPU and
NCCL. If you run it on a GPU, its output is the first measurement; please report it.

It checks, printing one line per check and a table of timings:
1. microgpt's run (100 steps, one document per step, float64) gives the same printed output on the GPU
   as on the CPU, and per-step losses within 1e-9;
2. a larger model (n_embd 128, 4 layers, 256 documents per step) trains on the GPU in float64 and in
   float32, with steps per second, and the same model on the CPU for a few steps, for the ratio;
3. the training runs as a torch.distributed group over NCCL (launched as torchrun launches it, one
   process per GPU; with 2 or more GPUs also `--procs 2`), and ends with the weights of the single
   process run;
4. the checkpoint written on the GPU loads on the CPU: `verify --device cpu` against microgpt's
   arithmetic in plain Python, and `sample --device cpu` prints the samples the GPU run printed.
Exit code 0 when every check passed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
os.chdir(ROOT)

import microgpt  # noqa: E402
import torch  # noqa: E402

DATA = "data/names.txt"
LARGE = ["--n-embd", "128", "--n-head", "4", "--n-layer", "4", "--lr", "0.003", "--samples", "5"]
QUICK = ["--n-embd", "32", "--n-head", "4", "--n-layer", "2", "--lr", "0.003", "--samples", "5"]
results: list[tuple[str, bool, str]] = []
timings: list[tuple[str, str]] = []


def check(name: str, ok: bool, detail: str) -> None:
    results.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


def train(*argv: str) -> tuple[str, dict]:
    """`microgpt.py train ARGV --out DIR` in this process: its stdout and run record."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        microgpt.main(["train", *argv])
    outdir = argv[argv.index("--out") + 1]
    with open(os.path.join(outdir, "run.json"), encoding="utf-8") as f:
        return out.getvalue(), json.load(f)


def steps_per_second(record: dict) -> float:
    return record["timings"]["stepsPerSecond"]


def max_weight_diff(a: str, b: str) -> float:
    ca, cb = microgpt.read_checkpoint(a), microgpt.read_checkpoint(b)
    return max(
        abs(x - y)
        for name in ca["params"]
        for ra, rb in zip(ca["params"][name], cb["params"][name])
        for x, y in zip(ra, rb)
    )


def train_apart(name: str, argv: list[str], single: str, env: dict[str, str] | None = None) -> None:
    """`microgpt.py train ARGV` in processes of its own; checks it ends with the weights `single` has."""
    t = time.perf_counter()
    command = [sys.executable, "torch/microgpt.py", "train", *argv]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        check(name, False, (result.stderr.strip().splitlines() or ["failed"])[-1])
        return
    out = argv[argv.index("--out") + 1]
    diff = max_weight_diff(f"{single}/checkpoint.json", f"{out}/checkpoint.json")
    seconds = time.perf_counter() - t
    check(
        name,
        diff < 1e-9,
        f"weights max |diff| from one plain process {diff:.3g}; {seconds:.1f} s with start-up",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Checks torch/microgpt.py on a GPU (see the docstring).")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument(
        "--quick", action="store_true", help="a smaller model, fewer steps (to try the script on a CPU)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the runs' files (default: removed at the end)"
    )
    args = parser.parse_args()
    device = args.device
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__}, "
        f"CUDA available: {torch.cuda.is_available()}, GPUs: {gpus}"
    )
    if gpus:
        print(
            f"GPU 0: {torch.cuda.get_device_name(0)}; NCCL available: {torch.distributed.is_nccl_available()}"
        )
    if device == "cuda" and not gpus:
        print(
            "error: PyTorch sees no CUDA GPU here; "
            "run with --device cpu --quick to try the script on the CPU",
            file=sys.stderr,
        )
        return 2
    large, batch = (QUICK, 32) if args.quick else (LARGE, 256)  # the model's flags, documents per step
    large_steps = 60 if args.quick else 300
    group_steps = 10 if args.quick else 100
    cpu_steps = 10 if args.quick else 20
    size = f"n_embd {large[1]}, {large[5]} layers"
    tmp = tempfile.mkdtemp(prefix="gpu_check_")
    t_start = time.perf_counter()

    # 1) microgpt's run, on the device and on the CPU
    try:
        cpu_out, cpu_record = train("--steps", "100", "--device", "cpu", "--out", f"{tmp}/small_cpu")
        dev_out, dev_record = train("--steps", "100", "--device", device, "--out", f"{tmp}/small_device")
        diff = max(abs(a - b) for a, b in zip(cpu_record["losses"], dev_record["losses"]))
        check(
            f"microgpt's run, 100 steps, float64: {device} vs cpu",
            diff < 1e-9 and cpu_out == dev_out,
            f"losses max |diff| {diff:.3g}; "
            f"printed output {'identical' if cpu_out == dev_out else 'DIFFERS'}",
        )
        timings.append(
            (
                f"microgpt size, batch 1, float64, {device}",
                f"{steps_per_second(dev_record):.0f} steps/s (cpu: {steps_per_second(cpu_record):.0f})",
            )
        )
    except Exception as err:  # keep going: one failure should not hide the other checks
        check("microgpt's run on the device", False, repr(err))

    # 2) a larger model, float64 and float32, and the CPU for the ratio
    big = f"{tmp}/large_{device}_float64"
    try:
        out64, rec64 = train(
            *large, "--batch-size", str(batch), "--steps", str(large_steps), "--device", device, "--out", big
        )
        _, rec32 = train(
            *large,
            "--batch-size",
            str(batch),
            "--steps",
            str(large_steps),
            "--device",
            device,
            "--dtype",
            "float32",
            "--out",
            f"{tmp}/large_float32",
        )
        _, rec_cpu = train(
            *large,
            "--batch-size",
            str(batch),
            "--steps",
            str(cpu_steps),
            "--device",
            "cpu",
            "--out",
            f"{tmp}/large_cpu",
        )
        first, last = rec64["losses"][0], sum(rec64["losses"][-10:]) / 10
        check(
            f"{size}, {batch} docs/step, {large_steps} steps on {device}",
            last < first - 0.3,
            f"loss {first:.4f} -> {last:.4f} (mean of the last 10); {rec64['numParams']} params",
        )
        f32 = sum(rec32["losses"][-10:]) / 10
        check(
            "float32 learns as float64 does",
            abs(f32 - last) < 0.05,
            f"last-10 mean loss {f32:.4f} vs {last:.4f}",
        )
        for name, rec in (
            (f"{device} float64", rec64),
            (f"{device} float32", rec32),
            ("cpu float64", rec_cpu),
        ):
            sps = steps_per_second(rec)
            timings.append(
                (f"large, {batch} docs/step, {name}", f"{sps:.1f} steps/s = {sps * batch:.0f} docs/s")
            )
        timings.append(
            (
                f"  speed-up of {device} float64 over cpu",
                f"{steps_per_second(rec64) / steps_per_second(rec_cpu):.1f}x",
            )
        )
    except Exception as err:
        check("larger model on the device", False, repr(err))
        out64 = ""

    # 3) the same training as a torch.distributed group (NCCL on GPUs, gloo on the CPU)
    backend = "nccl" if device == "cuda" else "gloo"
    common = [*large, "--steps", str(group_steps), "--device", device]
    whole = ["--batch-size", str(batch)]
    try:
        train(*common, *whole, "--out", f"{tmp}/single")
        env = {**os.environ, "WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1"}
        env["MASTER_PORT"] = str(microgpt.free_port())
        group = f"{backend} group of 1 process (torchrun's variables), {group_steps} steps"
        train_apart(group, [*common, *whole, "--out", f"{tmp}/group1"], f"{tmp}/single", env)
        if device == "cuda" and gpus >= 2 or device == "cpu":
            group = f"--procs 2 ({backend}) x {batch // 2} docs = 1 process x {batch}, {group_steps} steps"
            half = ["--batch-size", str(batch // 2), "--procs", "2", "--out", f"{tmp}/procs2"]
            train_apart(group, [*common, *half], f"{tmp}/single")
        else:
            print("(one GPU: --procs 2 over NCCL needs two; skipped)")
    except Exception as err:
        check(f"{backend} group", False, repr(err))

    # 4) the GPU's checkpoint on the CPU
    try:
        t = time.perf_counter()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                microgpt.main(
                    ["verify", f"{big}/checkpoint.json", "--data", DATA, "--docs", "3", "--device", "cpu"]
                )
                code = 0
            except SystemExit as exit:
                code = exit.code
        lines = out.getvalue().strip().splitlines()
        check("the device's checkpoint on the cpu vs microgpt's arithmetic", code == 0, "; ".join(lines[2:]))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            microgpt.main(["sample", f"{big}/checkpoint.json", "--device", "cpu"])
        printed = [line for line in out64.splitlines() if line.startswith("sample ")]
        check(
            "sampling it on the cpu prints the device run's samples",
            out.getvalue().splitlines() == printed,
            " | ".join(s.split(": ", 1)[-1] for s in printed),
        )
        timings.append(("load, verify and sample on the cpu", f"{time.perf_counter() - t:.1f} s"))
    except Exception as err:
        check("the device's checkpoint on the cpu", False, repr(err))

    print("\ntimings")
    for name, value in timings:
        print(f"  {name:<45} {value}")
    failed = [name for name, ok, _ in results if not ok]
    print(
        f"\n{len(results) - len(failed)} of {len(results)} checks passed in "
        f"{time.perf_counter() - t_start:.0f} s" + (f"; files in {tmp}" if args.keep else "")
    )
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
