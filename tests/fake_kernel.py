#!/usr/bin/python3
"""A stand-in for `deno jupyter --kernel` that misbehaves on purpose, for tests/kernel_test.ts: it
publishes each request's `idle` *before* sending the reply (they travel on different sockets, so
a kernel may), and it runs code of one form only: `print N` publishes N stream messages. The
proxy's hidden flush (code with a marker) gets its markers back, as Deno would send them.

Usage (as the proxy runs Deno): fake_kernel.py jupyter --kernel --conn CONNECTION_FILE
"""

import hashlib
import hmac
import json
import re
import sys
import time
import uuid

import zmq


def main(argv):
    with open(argv[argv.index("--conn") + 1]) as f:
        conn = json.load(f)
    key = conn["key"].encode()
    session = uuid.uuid4().hex
    context = zmq.Context()

    def bind(kind, port):
        sock = context.socket(kind)
        sock.bind(f"tcp://{conn['ip']}:{conn[port]}")
        return sock

    shell, control, iopub = bind(zmq.ROUTER, "shell_port"), bind(zmq.ROUTER, "control_port"), bind(zmq.PUB, "iopub_port")
    bind(zmq.ROUTER, "stdin_port")
    count = 0

    def send(sock, idents, msg_type, content, parent):
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session, "username": "kernel",
                  "date": "2026-01-01T00:00:00.000000Z", "version": "5.3"}
        parts = [json.dumps(p).encode() for p in (header, parent, {}, content)]
        mac = hmac.new(key, digestmod=hashlib.sha256)
        for part in parts:
            mac.update(part)
        sock.send_multipart([*idents, b"<IDS|MSG>", mac.hexdigest().encode(), *parts])

    def status(state, parent):
        send(iopub, [], "status", {"execution_state": state}, parent)

    poller = zmq.Poller()
    poller.register(shell, zmq.POLLIN)
    poller.register(control, zmq.POLLIN)
    while True:
        for sock, _ in poller.poll():
            frames = sock.recv_multipart()
            at = frames.index(b"<IDS|MSG>")
            idents, header, content = frames[:at], json.loads(frames[at + 2]), json.loads(frames[at + 5])
            kind = header["msg_type"]
            if sock is control:
                send(control, idents, kind.replace("_request", "_reply"), {"status": "ok"}, header)
                if kind == "shutdown_request":
                    time.sleep(0.1)
                    return 0
                continue
            status("busy", header)
            if kind == "kernel_info_request":
                reply = {"status": "ok", "protocol_version": "5.3", "implementation": "fake",
                         "language_info": {"name": "typescript"}}
            elif kind == "execute_request":
                if not content.get("silent"):
                    count += 1
                code = content["code"]
                for marker in re.findall(r'"(microgpt-flush-[0-9a-f]+)"', code)[:1]:
                    send(iopub, [], "stream", {"name": "stdout", "text": marker + "\n"}, header)
                    send(iopub, [], "display_data", {"data": {"text/plain": marker}, "metadata": {}, "transient": {}},
                         header)
                match = re.fullmatch(r"print (\d+)", code.strip())
                for i in range(int(match.group(1)) if match else 0):
                    send(iopub, [], "stream", {"name": "stdout", "text": f"line {i}\n"}, header)
                reply = {"status": "ok", "execution_count": count, "payload": [], "user_expressions": {}}
            else:
                reply = {"status": "ok"}
            status("idle", header)
            time.sleep(0.05)  # the reply comes after the idle
            send(shell, idents, kind.replace("_request", "_reply"), reply, header)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
