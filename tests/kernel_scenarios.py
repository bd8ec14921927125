"""Protocol scenarios for a Jupyter kernel, driven with jupyter_client; used by
tests/kernel_test.ts against the deno-microgpt kernel (and, for the record, against Deno's own).

Usage: python3 kernel_scenarios.py KERNEL_NAME SCENARIO
Prints one JSON object with what the scenario observed. Scenarios:
  run_all      24 cells sent at once (prints, results, displays, stderr): which request each
               output names as parent, in what order, and whether it came after that request's idle
  big_output   a 5 MB display, then 10 quick cells, all at once
  errors       output then an error, then a queued cell (stop_on_error): replies and outputs
  interrupt    an endless loop, interrupted with an interrupt_request; then 6 * 7
  stdin        prompt() answered over the stdin channel
  shutdown     a shutdown_request: the kernel process and Deno's process exit
  deno_dies    Deno's process is killed: the kernel process exits
  orphan       the process that started the kernel is killed: the kernel and Deno exit
  recover      20 cells at once while the kernel treats one message from Deno as garbled
               (run with MICROGPT_KERNEL_TEST_CORRUPT=N): every request still finishes
  replies_after_idle  (for tests/fake_kernel.py behind the proxy) five kernel_info_requests and
               three cells at once, each request's idle sent before its reply
  sync         lib/display.ts's displayHtml of 5 MB (MICROGPT_LIB_URL names the module), then
               how long it waited for the kernel to confirm, then quick cells, all at once
  subscribers  three more SUB sockets on iopub (as the Notebook server has: an activity monitor
               and a browser's channel), each checking every signature; a 5 MB display, then 19
               quick cells, all at once: what each subscriber got
"""

import faulthandler
import hashlib
import hmac
import json
import os
import queue
import signal
import subprocess
import sys
import time

import zmq
from jupyter_client.manager import KernelManager


def start(kernel):
    manager = KernelManager(kernel_name=kernel)
    manager.start_kernel()
    client = manager.blocking_client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return manager, client


def children(pid):
    """The process ids of `pid`'s children (Linux)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(c) for c in f.read().split()]
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_until(check, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


def collect(client, ids, timeout=120.0, quiet=1.0):
    """Every iopub message until each request has its idle and reply, then `quiet` seconds more."""
    index = {msg_id: i for i, msg_id in enumerate(ids)}
    idle, replies, events = set(), {}, []
    end = time.monotonic() + timeout
    done_at = None
    while time.monotonic() < end:
        while True:
            try:
                reply = client.get_shell_msg(timeout=0)
            except queue.Empty:
                break
            parent = reply["parent_header"].get("msg_id")
            if parent in index:
                replies[index[parent]] = reply["content"]
        if len(idle) == len(ids) and len(replies) == len(ids):
            done_at = done_at or time.monotonic()
            if time.monotonic() - done_at >= quiet:
                break
        try:
            msg = client.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            continue
        parent = index.get(msg["parent_header"].get("msg_id"))
        kind = msg["msg_type"]
        if kind == "status":
            if parent is not None and msg["content"]["execution_state"] == "idle":
                idle.add(parent)
            continue
        if kind in ("execute_input", "clear_output"):
            continue
        content = msg["content"]
        text = content.get("text") or content.get("data", {}).get("text/plain") or content.get("evalue") or ""
        events.append({"cell": parent, "type": kind, "text": text[:200], "size": len(text),
                       "after_idle": parent in idle})
    return {"events": events, "replies": [replies.get(i, {}).get("status") for i in range(len(ids))],
            "unfinished": len(ids) - len(idle & set(range(len(ids))))}


def run_all(client):
    def cell(i):
        kind = i % 4
        if kind == 0:
            return f'for (let j = 0; j < 20; j++) console.log("c{i} line " + j);'
        if kind == 1:
            return f'"c{i} result";'
        if kind == 2:
            return f'await Deno.jupyter.display({{ "text/plain": "c{i} display" }}, {{ raw: true }});'
        return f'console.log("c{i} a"); console.error("c{i} err"); "c{i} res";'
    return collect(client, [client.execute(cell(i)) for i in range(24)])


def big_output(client):
    ids = [client.execute('await Deno.jupyter.display({ "text/plain": "c0 " + "x".repeat(5_000_000) }, { raw: true });')]
    ids += [client.execute(f'console.log("c{i} line"); "c{i} res";') for i in range(1, 11)]
    return collect(client, ids)


def errors(client):
    ids = [client.execute('console.log("c0 before"); throw new RangeError("c0 boom");'),
           client.execute('console.log("c1 never");')]
    return collect(client, ids)


def recover(client):
    return collect(client, [client.execute(f'console.log("c{i} line"); "c{i} res";') for i in range(20)])


def replies_after_idle(client):
    ids = [client.kernel_info() for _ in range(5)]
    ids += [client.execute(f"print {n}") for n in (3, 2, 1)]
    return collect(client, ids, timeout=30)


def sync(client):
    lib = os.environ["MICROGPT_LIB_URL"]
    ids = [client.execute(
        f'const {{ displayHtml }} = await import("{lib}");\n'
        'const t0 = performance.now();\n'
        'await displayHtml("<b>" + "x".repeat(5_000_000) + "</b>", "c0 big");\n'
        'console.log(`c0 waited ${Math.round(performance.now() - t0)} ms`);'
    )]
    ids += [client.execute(f'console.log("c{i} line");') for i in range(1, 6)]
    return collect(client, ids)


def subscribers(client, manager):
    info = manager.get_connection_info()
    key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
    context = zmq.Context()
    subs = []
    for _ in range(3):
        sub = context.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(f"tcp://{info['ip']}:{info['iopub_port']}")
        subs.append(sub)
    try:
        # Wait until every subscriber hears the kernel.
        end = time.monotonic() + 30
        heard = set()
        while len(heard) < len(subs) and time.monotonic() < end:
            client.execute("0;")
            time.sleep(0.3)
            for i, sub in enumerate(subs):
                while sub.poll(0):
                    sub.recv_multipart()
                    heard.add(i)
        ids = [client.execute('await Deno.jupyter.display({ "text/plain": "x".repeat(5_000_000) }, { raw: true });')]
        ids += [client.execute(f"{i};") for i in range(1, 20)]
        stats = [{"ok": 0, "bad_signature": 0, "malformed": 0, "idle": 0} for _ in subs]
        poller = zmq.Poller()
        for sub in subs:
            poller.register(sub, zmq.POLLIN)
        end = time.monotonic() + 60
        while time.monotonic() < end and not all(st["idle"] == len(ids) for st in stats):
            for sub, _ in poller.poll(200):
                st = stats[subs.index(sub)]
                frames = sub.recv_multipart()
                if b"<IDS|MSG>" not in frames:
                    st["malformed"] += 1
                    continue
                at = frames.index(b"<IDS|MSG>")
                mac = hmac.new(key, digestmod=hashlib.sha256)
                for part in frames[at + 2:at + 6]:
                    mac.update(part)
                if mac.hexdigest().encode() != frames[at + 1]:
                    st["bad_signature"] += 1
                    continue
                st["ok"] += 1
                header, parent, content = (json.loads(frames[at + i]) for i in (2, 3, 5))
                if header["msg_type"] == "status" and content.get("execution_state") == "idle" and \
                        parent.get("msg_id") in ids:
                    st["idle"] += 1
        collect(client, [], timeout=1)  # the client's own copies
        return stats
    finally:
        context.destroy(linger=0)


def interrupt(client, manager):
    loop = client.execute("while (true) {}")
    time.sleep(2)
    sent = time.monotonic()
    manager.interrupt_kernel()
    first = collect(client, [loop], timeout=30)
    first["interrupt_seconds"] = round(time.monotonic() - sent, 2)
    after = collect(client, [client.execute("6 * 7;")], timeout=30)
    return {"interrupted": first, "after": after}


def stdin(client):
    msg_id = client.execute('console.log("hello " + prompt("name?"));', allow_stdin=True)
    request = client.get_stdin_msg(timeout=30)
    client.input("ada")
    result = collect(client, [msg_id], timeout=30)
    result["prompt"] = request["content"].get("prompt")
    return result


def shutdown(client, manager):
    pid = manager.provisioner.process.pid
    deno = children(pid)
    client.shutdown()
    return {"proxy_exited": wait_until(lambda: not alive(pid), 10),
            "deno_exited": all(wait_until(lambda d=d: not alive(d), 10) for d in deno), "deno": len(deno)}


def deno_dies(manager):
    pid = manager.provisioner.process.pid
    deno = children(pid)
    for d in deno:
        os.kill(d, signal.SIGKILL)
    return {"proxy_exited": wait_until(lambda: not alive(pid), 10), "deno": len(deno)}


def orphan(kernel):
    """Runs a frontend in a child process, kills it, and checks that its kernel goes too."""
    code = (
        "import sys\nfrom jupyter_client.manager import KernelManager\n"
        "km = KernelManager(kernel_name=sys.argv[1]); km.start_kernel()\n"
        "kc = km.blocking_client(); kc.start_channels(); kc.wait_for_ready(timeout=120)\n"
        "print(km.provisioner.process.pid, flush=True)\nimport time; time.sleep(600)\n"
    )
    frontend = subprocess.Popen([sys.executable, "-c", code, kernel], stdout=subprocess.PIPE, text=True)
    pid = int(frontend.stdout.readline())
    deno = children(pid)
    frontend.kill()
    frontend.wait()
    return {"kernel_exited": wait_until(lambda: not alive(pid), 10),
            "deno_exited": all(wait_until(lambda d=d: not alive(d), 10) for d in deno), "deno": len(deno)}


def main(argv):
    # A scenario that hangs ends the process (the kernel notices and stops too).
    faulthandler.dump_traceback_later(150, exit=True)
    kernel, scenario = argv[1], argv[2]
    if scenario == "orphan":
        print(json.dumps(orphan(kernel)))
        return 0
    manager, client = start(kernel)
    try:
        if scenario in ("interrupt", "shutdown", "subscribers"):
            result = globals()[scenario](client, manager)
        elif scenario == "deno_dies":
            result = deno_dies(manager)
        else:
            result = globals()[scenario](client)
        print(json.dumps(result))
        return 0
    finally:
        client.stop_channels()
        if manager.is_alive():
            manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
