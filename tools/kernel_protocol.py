"""Runs a notebook the way a frontend's Run All does, at the protocol level, and reports what
every request got: all code cells are sent to a fresh kernel as execute_requests at once, then
every iopub message is recorded with the request its `parent_header` names and whether it came
after that request's `status: idle`.

Usage: python3 kernel_protocol.py NOTEBOOK.ipynb [--kernel NAME] [--timeout SECONDS]
The kernel is the notebook's own (its metadata's kernelspec) unless --kernel names another; it
runs in the notebook's folder. Prints one JSON object:
  {"cells": [[output, ...], ...],   # per code cell, the outputs its request got, in order
                                    # (nbformat form; rich data reduced to its MIME types)
   "late": [...],                   # outputs that came after their request's idle
   "stray": [...],                  # outputs whose parent is none of the requests
   "unfinished": n,                 # requests without a reply or an idle at the end
   "seconds": s}
Exit status 0 when it ran (whatever it found), 1 when the kernel could not be started.
"""

import argparse
import json
import os
import queue
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager

OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error"}
# After the last request is done, keep listening this long for stragglers.
QUIET_SECONDS = 1.0


def output_of(msg):
    """The nbformat output a message adds, with rich data reduced to its MIME types."""
    content = msg["content"]
    kind = msg["msg_type"]
    if kind == "stream":
        return {"output_type": "stream", "name": content["name"], "text": content["text"]}
    if kind == "error":
        return {"output_type": "error", "ename": content.get("ename", ""), "evalue": content.get("evalue", "")}
    data = {mime: "" for mime in content.get("data", {})}
    return {"output_type": kind, "data": data}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("--kernel", help="kernelspec name (default: the notebook's)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for the whole run")
    args = parser.parse_args(argv[1:])
    path = args.notebook
    notebook = nbformat.read(path, as_version=4)
    kernel = args.kernel or notebook.metadata.kernelspec.name
    timeout = args.timeout
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    manager = KernelManager(kernel_name=kernel)
    try:
        manager.start_kernel(cwd=os.path.dirname(os.path.abspath(path)))
        client = manager.blocking_client()
        client.start_channels()
        client.wait_for_ready(timeout=120)
    except Exception as err:  # noqa: BLE001 - any failure to start is reported the same way
        print(f"kernel {kernel} did not start: {err}", file=sys.stderr)
        manager.shutdown_kernel(now=True)
        return 1
    start = time.monotonic()
    try:
        # As Run All does: every request sent before any reply is read.
        ids = [client.execute(cell.source, store_history=True, stop_on_error=False) for cell in cells]
        index = {msg_id: i for i, msg_id in enumerate(ids)}
        outputs = [[] for _ in cells]
        displays = {}  # display_id -> the output dicts showing it
        idle = set()
        replied = set()
        late, stray = [], []
        deadline = start + timeout
        last_done = None
        while time.monotonic() < deadline:
            # Replies (shell) only say a request is done; drain them without blocking.
            while True:
                try:
                    reply = client.get_shell_msg(timeout=0)
                except queue.Empty:
                    break
                replied.add(reply["parent_header"].get("msg_id"))
            if idle.issuperset(ids) and replied.issuperset(ids):
                last_done = last_done or time.monotonic()
                if time.monotonic() - last_done >= QUIET_SECONDS:
                    break
            try:
                msg = client.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                continue
            parent = msg["parent_header"].get("msg_id")
            kind = msg["msg_type"]
            if kind == "status":
                if parent in index and msg["content"]["execution_state"] == "idle":
                    idle.add(parent)
                continue
            if kind == "update_display_data":
                for shown in displays.get(msg["content"].get("transient", {}).get("display_id"), []):
                    shown["data"] = output_of(msg)["data"]
                continue
            if kind == "clear_output" and parent in index:
                outputs[index[parent]].clear()
                continue
            if kind not in OUTPUT_TYPES:
                continue
            output = output_of(msg)
            if parent not in index:
                stray.append(output)
                continue
            if parent in idle:
                late.append({"cell": index[parent], **output})
            outputs[index[parent]].append(output)
            display_id = msg["content"].get("transient", {}).get("display_id")
            if display_id:
                displays.setdefault(display_id, []).append(output)
        unfinished = sum(1 for msg_id in ids if msg_id not in idle or msg_id not in replied)
        print(json.dumps({
            "cells": outputs,
            "late": late,
            "stray": stray,
            "unfinished": unfinished,
            "seconds": round(time.monotonic() - start, 3),
        }))
        return 0
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
