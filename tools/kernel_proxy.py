"""A Jupyter kernel that runs Deno's own kernel (`deno jupyter --kernel`) behind it and delivers
every output under the request that made it, before that request's reply and `idle` status.

Deno's kernel (2.8.2 and later) publishes a cell's outputs from a queue that it drains on its
own schedule, labels each with whatever request is current *when it is drained*, and reports
the cell done without waiting for the queue: outputs arrive after `idle` or under the next cell
(docs/KERNEL.md has the evidence). This proxy sits between the frontend and Deno:

- it sends Deno one shell request at a time (frontends send a whole Run All at once);
- after Deno's `execute_reply`, it sends a hidden, silent *flush* request whose code prints a
  unique marker and broadcasts a marker display. Deno's outputs leave its queue in order, so
  everything that comes before the markers belongs to the user's request: those outputs are
  labelled with that request (whatever label Deno gave them) and passed on as they come;
- when both markers, the flush's reply and its `idle` are in, it passes on the request's error
  (held back so that it follows the cell's printed output), its `execute_reply` and its `idle`,
  and only then sends Deno the next request. The flush's own messages are dropped.

Everything else is relayed, re-signed with the other side's key: control (interrupt, shutdown)
at once, stdin both ways, and the heartbeat is answered here (the proxy exits when Deno does, and
stops Deno and exits when the process that started it is gone).

Large outputs need one more thing. Deno's kernel can garble its iopub stream (it writes a large message in pieces and lets
other messages in between). Sending one request at a time makes that rare; if a message from
Deno is malformed or badly signed, or its iopub goes silent while a flush is pending, the proxy
reconnects to Deno's iopub, checks the new connection, and flushes again (what was lost stays
lost, and the kernel log says so). To keep a cell from ending while its large output is still
being written, code in the kernel can wait until its outputs have reached the proxy: the
environment variable MICROGPT_KERNEL_SYNC names a Unix socket; write a line `microgpt-sync-ID`
to it, then broadcast a display_data whose only data is `{"text/plain": "microgpt-sync-ID"}`,
and read a line: `ok` comes once that display has arrived here, that is, once everything shown
before it has been sent in full (the marker itself is not passed on). lib/display.ts does this.
Like ipykernel, an error in an execute_request with `stop_on_error` aborts the requests queued
behind it (Deno itself runs them anyway).

Usage: python3 kernel_proxy.py --deno /path/to/deno CONNECTION_FILE
Needs only pyzmq (Debian: python3-zmq, installed with Jupyter). Set MICROGPT_KERNEL_LOG=1 to
log every message to stderr (the frontend's kernel log) with a timestamp.
"""

import argparse
import collections
import ctypes
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import zmq

DELIMITER = b"<IDS|MSG>"
# Messages that show something under a cell; they get the label of the request they belong to.
OUTPUT_TYPES = {"stream", "display_data", "update_display_data", "execute_result", "clear_output"}
# Markers that code in the kernel sends to learn that its outputs have gone out (see above).
SYNC_PREFIX = "microgpt-sync-"
# How long to wait for the flush's markers before giving up on them (Deno's queue normally
# empties within milliseconds; this only keeps a broken kernel from blocking forever).
FLUSH_TIMEOUT_SECONDS = 60.0
# Flushed, replied, and not one message from Deno's iopub for this long: its stream is stuck.
STALL_SECONDS = 10.0
# How often to ask Deno for kernel_info until its iopub is seen to work (at startup, and after
# reconnecting to it).
PROBE_RETRY_SECONDS = 0.5
STARTUP_ATTEMPTS = 3
# A request Deno reported idle but did not answer (it answers every request type frontends
# send on shell; this only keeps an unknown one from blocking the queue).
REPLY_GRACE_SECONDS = 5.0
# How long Deno may take to exit after answering a shutdown_request.
SHUTDOWN_GRACE_SECONDS = 3.0
LOG = os.environ.get("MICROGPT_KERNEL_LOG") == "1"
# For the tests: treat the N-th message from Deno's iopub as corrupted (exercises the recovery).
TEST_CORRUPT = int(os.environ.get("MICROGPT_KERNEL_TEST_CORRUPT", "0"))
START = time.monotonic()


def log(text):
    if LOG:
        print(f"[kernel_proxy {time.monotonic() - START:9.3f}] {text}", file=sys.stderr, flush=True)


class Signer:
    """HMAC signing of the four signed frames, as the connection file's key and scheme say."""

    def __init__(self, key, scheme):
        self.key = key
        algorithm = scheme.split("-", 1)[1] if scheme.startswith("hmac-") else "sha256"
        self.digest = getattr(hashlib, algorithm)

    def sign(self, parts):
        if not self.key:
            return b""
        mac = hmac.new(self.key, digestmod=self.digest)
        for part in parts:
            mac.update(part)
        return mac.hexdigest().encode()

    def verify(self, signature, parts):
        return not self.key or hmac.compare_digest(signature, self.sign(parts))


class Message:
    """A wire message with its frames kept as bytes (large outputs are passed on unparsed)."""

    def __init__(self, idents, header, parent, metadata, content, buffers):
        self.idents = idents
        self.header_bytes = header
        self.parent_bytes = parent
        self.metadata_bytes = metadata
        self.content_bytes = content
        self.buffers = buffers
        self.header = json.loads(header)
        self.parent = json.loads(parent) if parent else {}

    @property
    def msg_type(self):
        return self.header.get("msg_type", "")

    @property
    def msg_id(self):
        return self.header.get("msg_id", "")

    @property
    def parent_id(self):
        return self.parent.get("msg_id", "")

    def content(self):
        return json.loads(self.content_bytes)

    def frames(self, signer, idents=None, parent_bytes=None, content_bytes=None):
        parent = self.parent_bytes if parent_bytes is None else parent_bytes
        content = self.content_bytes if content_bytes is None else content_bytes
        signed = [self.header_bytes, parent, self.metadata_bytes, content]
        return [*(self.idents if idents is None else idents), DELIMITER, signer.sign(signed), *signed, *self.buffers]


def parse(frames, signer, side):
    """A Message from raw frames, or None (logged) when it is malformed or badly signed."""
    try:
        split = frames.index(DELIMITER)
    except ValueError:
        print(f"kernel_proxy: dropped a {side} message without a delimiter", file=sys.stderr)
        return None
    signature, signed, buffers = frames[split + 1], frames[split + 2:split + 6], frames[split + 6:]
    if len(signed) < 4 or not signer.verify(signature, signed):
        print(f"kernel_proxy: dropped a {side} message with an invalid signature", file=sys.stderr)
        return None
    try:
        return Message(frames[:split], *signed, buffers)
    except ValueError:
        print(f"kernel_proxy: dropped a {side} message that is not JSON", file=sys.stderr)
        return None


def new_header(msg_type, session):
    return json.dumps({
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session,
        "username": "kernel",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1e6) % 1000000:06d}Z",
        "version": "5.3",
    }).encode()


def free_ports(count):
    """Ports free right now on 127.0.0.1 (another process may take one before Deno binds it;
    the caller retries with fresh ports when Deno fails to start)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def die_with_parent():
    """Runs in Deno's process before exec: Linux kills it when the proxy dies, however it dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Request:
    """A frontend shell request that Deno is running."""

    def __init__(self, message):
        self.message = message
        self.is_execute = message.msg_type == "execute_request"
        self.reply = None  # Deno's reply, held until the outputs are in
        self.idle = None  # Deno's idle status for it, held likewise
        self.idle_at = 0.0
        self.errors = []  # Deno's error outputs for it, held so they follow the printed output
        self.flush_id = None  # the latest flush request (there may be several: see resync)
        self.flush_marker = None
        self.flush_ids = set()
        self.markers = set()
        self.flush_seen = set()  # "stream", "display": markers received
        self.flush_reply = None
        self.flush_reply_at = 0.0
        self.flush_idle = False
        self.flush_started_at = 0.0


class Proxy:
    def __init__(self, connection, deno):
        self.connection = connection
        self.deno_path = deno
        self.frontend_signer = Signer(connection.get("key", "").encode(), connection.get("signature_scheme", "hmac-sha256"))
        self.kernel_key = uuid.uuid4().hex.encode()
        self.kernel_signer = Signer(self.kernel_key, "hmac-sha256")
        self.session = uuid.uuid4().hex
        self.context = zmq.Context()
        self.queue = collections.deque()  # frontend shell requests not yet sent to Deno
        self.current = None
        self.last_execute = None  # the latest user execute_request (label for stray output)
        self.routes = {}  # msg_id of a frontend request -> its sender's identities
        self.ready = False
        self.probe = None  # "startup" or "resync" while asking Deno for kernel_info
        self.probe_id = None
        self.probe_sent_at = 0.0
        self.probe_reply = False
        self.probe_idle = False
        self.last_iopub_at = 0.0
        self.iopub_count = 0
        self.shutting_down = False
        self.shutdown_at = 0.0
        self.deno = None
        self.poller = None
        # The frontend that started the kernel (jupyter_client says which, as it does for
        # ipykernel); when it is gone, so is the kernel.
        self.parent_pid = int(os.environ.get("JPY_PARENT_PID", "0") or 0)
        self.conn_dir = tempfile.mkdtemp(prefix="microgpt_kernel_")
        self.bind_frontend()
        self.open_sync()

    # --- sockets -----------------------------------------------------------------------------

    def address(self, port_name):
        c = self.connection
        if c.get("transport", "tcp") == "ipc":
            return f"ipc://{c['ip']}-{c[port_name]}"
        return f"tcp://{c['ip']}:{c[port_name]}"

    def socket(self, kind):
        s = self.context.socket(kind)
        s.setsockopt(zmq.LINGER, 1000)
        return s

    def bind_frontend(self):
        self.f_shell = self.socket(zmq.ROUTER)
        self.f_control = self.socket(zmq.ROUTER)
        self.f_stdin = self.socket(zmq.ROUTER)
        self.f_iopub = self.socket(zmq.PUB)
        self.f_hb = self.socket(zmq.REP)
        self.f_iopub.setsockopt(zmq.SNDHWM, 0)
        for s, name in [(self.f_shell, "shell_port"), (self.f_control, "control_port"), (self.f_stdin, "stdin_port"),
                        (self.f_iopub, "iopub_port"), (self.f_hb, "hb_port")]:
            s.bind(self.address(name))

    def open_sync(self):
        """The Unix socket on which code in the kernel asks to hear when its outputs are out."""
        self.sync_path = os.path.join(self.conn_dir, "sync.sock")
        self.sync_server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sync_server.bind(self.sync_path)
        self.sync_server.listen(16)
        self.sync_server.setblocking(False)
        self.sync_clients = {}  # connection -> the bytes it sent so far
        self.sync_fds = {}  # file descriptor -> connection
        self.sync_waiting = {}  # marker -> the connection waiting for it
        self.sync_arrived = collections.OrderedDict()  # markers that came before their waiter

    def sync_accept(self):
        try:
            client, _ = self.sync_server.accept()
        except BlockingIOError:
            return
        client.setblocking(False)
        self.sync_clients[client] = b""
        self.sync_fds[client.fileno()] = client
        self.poller.register(client, zmq.POLLIN)

    def sync_read(self, client):
        try:
            data = client.recv(256)
        except BlockingIOError:
            return
        if not data or len(self.sync_clients[client]) > 256:
            self.sync_close(client)
            return
        buffer = self.sync_clients[client] + data
        self.sync_clients[client] = buffer
        if b"\n" in buffer:
            marker = buffer.split(b"\n", 1)[0].decode(errors="replace")
            if self.sync_arrived.pop(marker, False):
                self.sync_ack(client)
            else:
                self.sync_waiting[marker] = client

    def sync_ack(self, client):
        try:
            client.send(b"ok\n")
        except OSError:
            pass
        self.sync_close(client)

    def sync_close(self, client):
        self.poller.unregister(client)
        self.sync_clients.pop(client, None)
        self.sync_fds.pop(client.fileno(), None)
        for marker in [m for m, c in self.sync_waiting.items() if c is client]:
            del self.sync_waiting[marker]
        client.close()

    def take_sync(self, message):
        """Swallows a sync marker display; tells its waiter. True if it was one."""
        data = message.content().get("data")
        if not isinstance(data, dict) or len(data) != 1 or not str(data.get("text/plain", "")).startswith(SYNC_PREFIX):
            return False
        marker = data["text/plain"]
        client = self.sync_waiting.pop(marker, None)
        if client is not None:
            self.sync_ack(client)
        else:
            self.sync_arrived[marker] = True
            while len(self.sync_arrived) > 1000:
                self.sync_arrived.popitem(last=False)
        return True

    def start_deno(self):
        """Starts Deno's kernel on fresh local ports and connects to it."""
        ports = free_ports(5)
        names = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"]
        self.kernel_connection = dict(zip(names, ports), ip="127.0.0.1", transport="tcp",
                                      key=self.kernel_key.decode(), signature_scheme="hmac-sha256")
        path = os.path.join(self.conn_dir, "deno.json")
        with open(path, "w") as f:
            json.dump(self.kernel_connection, f)
        self.deno = subprocess.Popen([self.deno_path, "jupyter", "--kernel", "--conn", path],
                                     stdin=subprocess.DEVNULL, preexec_fn=die_with_parent,
                                     env={**os.environ, "MICROGPT_KERNEL_SYNC": self.sync_path})
        url = lambda name: f"tcp://127.0.0.1:{self.kernel_connection[name]}"  # noqa: E731
        self.k_shell = self.socket(zmq.DEALER)
        self.k_control = self.socket(zmq.DEALER)
        self.k_stdin = self.socket(zmq.DEALER)
        for s, name in [(self.k_shell, "shell_port"), (self.k_control, "control_port"), (self.k_stdin, "stdin_port")]:
            s.connect(url(name))
        self.connect_iopub()
        self.start_probe("startup")

    def connect_iopub(self):
        self.k_iopub = self.socket(zmq.SUB)
        self.k_iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.k_iopub.setsockopt(zmq.RCVHWM, 0)
        self.k_iopub.connect(f"tcp://127.0.0.1:{self.kernel_connection['iopub_port']}")

    def reconnect_iopub(self, why):
        """Drops the (garbled or stuck) connection to Deno's iopub and opens a fresh one."""
        print(f"kernel_proxy: {why}; reconnecting to Deno's iopub (output in flight may be lost; "
              "see docs/KERNEL.md)", file=sys.stderr, flush=True)
        if self.poller is not None:
            self.poller.unregister(self.k_iopub)
        self.k_iopub.close(linger=0)
        self.connect_iopub()
        if self.poller is not None:
            self.poller.register(self.k_iopub, zmq.POLLIN)
        self.last_iopub_at = time.monotonic()
        if self.probe is None:
            self.start_probe("resync")

    def close_deno_sockets(self):
        for s in (self.k_shell, self.k_control, self.k_stdin, self.k_iopub):
            s.close(linger=0)

    # --- sending -----------------------------------------------------------------------------

    def to_kernel(self, sock, message):
        sock.send_multipart(message.frames(self.kernel_signer, idents=[]))

    def to_frontend(self, sock, message, idents, parent_bytes=None, content_bytes=None):
        sock.send_multipart(message.frames(self.frontend_signer, idents=idents, parent_bytes=parent_bytes,
                                           content_bytes=content_bytes))

    def publish(self, message, parent_bytes=None, content_bytes=None):
        if LOG:
            parent = json.loads(parent_bytes or message.parent_bytes or b"{}").get("msg_id", "")
            log(f"-> frontend iopub {message.msg_type} parent {parent}")
        self.to_frontend(self.f_iopub, message, [], parent_bytes, content_bytes)

    def hidden_request(self, msg_type, content):
        """Sends Deno a request of the proxy's own; returns its msg_id."""
        header = new_header(msg_type, self.session)
        message = Message([], header, b"{}", b"{}", json.dumps(content).encode(), [])
        self.to_kernel(self.k_shell, message)
        return message.msg_id

    def status(self, state, parent_bytes):
        """A status message of the proxy's own (when Deno's was lost)."""
        content = json.dumps({"execution_state": state}).encode()
        return Message([], new_header("status", self.session), parent_bytes, b"{}", content, [])

    # --- the request queue -------------------------------------------------------------------

    def dispatch(self):
        """Sends Deno the next queued request, if Deno is free."""
        while self.ready and self.probe is None and self.current is None and self.queue:
            message = self.queue.popleft()
            self.current = Request(message)
            if self.current.is_execute:
                self.last_execute = message
            log(f"-> deno shell {message.msg_type} {message.msg_id[-12:]}")
            self.to_kernel(self.k_shell, message)

    def abort_queue(self):
        """Answers every queued execute_request with an `aborted` reply (ipykernel's stop_on_error)."""
        kept = collections.deque()
        for message in self.queue:
            if message.msg_type != "execute_request":
                kept.append(message)
                continue
            idents = self.routes.pop(message.msg_id, [])
            self.publish(self.status("busy", message.header_bytes))
            reply = Message([], new_header("execute_reply", self.session), message.header_bytes, b"{}",
                            json.dumps({"status": "aborted", "execution_count": None}).encode(), [])
            self.to_frontend(self.f_shell, reply, idents)
            self.publish(self.status("idle", message.header_bytes))
        self.queue = kept

    def send_flush(self):
        request = self.current
        request.flush_marker = f"microgpt-flush-{uuid.uuid4().hex}"
        request.flush_seen = set()
        request.flush_reply = None
        request.flush_idle = False
        request.flush_started_at = request.flush_started_at or time.monotonic()
        marker = json.dumps(request.flush_marker)
        code = (f"console.log({marker});\n"
                f"await Deno.jupyter.broadcast(\"display_data\", {{ data: {{ \"text/plain\": {marker} }}, "
                f"metadata: {{}}, transient: {{}} }});\n")
        request.markers.add(request.flush_marker)
        request.flush_id = self.hidden_request("execute_request", {
            "code": code, "silent": True, "store_history": False, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False,
        })
        request.flush_ids.add(request.flush_id)
        log(f"-> deno shell flush {request.flush_id[-12:]} for {request.message.msg_id[-12:]}")

    def maybe_finish(self):
        """Passes on the current request's held messages once everything of it is in."""
        request = self.current
        if request is None:
            return
        if request.is_execute:
            if request.reply is None or request.flush_id is None:
                return
            flushed = request.flush_seen == {"stream", "display"} and request.flush_reply is not None and \
                request.flush_idle
            if not flushed:
                now = time.monotonic()
                if now - request.flush_started_at > FLUSH_TIMEOUT_SECONDS:
                    print("kernel_proxy: Deno's outputs did not arrive in time; going on", file=sys.stderr, flush=True)
                elif self.probe is not None:
                    return  # a flush follows once the new iopub connection works
                elif request.flush_reply is not None and request.flush_reply.content().get("status") != "ok":
                    log("flush failed (interrupted?); flushing again")
                    self.send_flush()
                    return
                elif request.flush_reply is not None and \
                        now - max(self.last_iopub_at, request.flush_reply_at) > STALL_SECONDS:
                    self.reconnect_iopub(f"no message from Deno's iopub for {STALL_SECONDS:.0f} s")
                    return
                else:
                    return
            for error in request.errors:
                self.publish(error)
        elif request.idle is None:
            return
        elif request.reply is None and request.message.msg_type.endswith("_request") and \
                time.monotonic() - request.idle_at < REPLY_GRACE_SECONDS:
            return  # a reply is due; Deno's idle can come before it (they travel on two sockets)
        idents = self.routes.pop(request.message.msg_id, [])
        if request.reply is not None:
            log(f"-> frontend shell {request.reply.msg_type} for {request.message.msg_id[-12:]}")
            self.to_frontend(self.f_shell, request.reply, idents)
        self.publish(request.idle or self.status("idle", request.message.header_bytes))
        self.current = None
        if request.is_execute and request.message.content().get("stop_on_error", True) and \
                request.reply.content().get("status") == "error":
            self.abort_queue()
        self.dispatch()

    # --- messages from the frontend ----------------------------------------------------------

    def on_frontend_shell(self, frames):
        message = parse(frames, self.frontend_signer, "frontend shell")
        if message is None:
            return
        log(f"<- frontend shell {message.msg_type} {message.msg_id[-12:]}")
        self.routes[message.msg_id] = message.idents
        self.queue.append(message)
        self.dispatch()

    def on_frontend_control(self, frames):
        message = parse(frames, self.frontend_signer, "frontend control")
        if message is None:
            return
        log(f"<- frontend control {message.msg_type} {message.msg_id[-12:]}")
        self.routes[message.msg_id] = message.idents
        if message.msg_type == "shutdown_request":
            self.shutting_down = True
        self.to_kernel(self.k_control, message)

    def on_frontend_stdin(self, frames):
        message = parse(frames, self.frontend_signer, "frontend stdin")
        if message is not None:
            self.to_kernel(self.k_stdin, message)

    # --- messages from Deno ------------------------------------------------------------------

    def on_kernel_shell(self, frames):
        message = parse(frames, self.kernel_signer, "Deno shell")
        if message is None:
            return
        log(f"<- deno shell {message.msg_type} for {message.parent_id[-12:]}")
        request = self.current
        if message.parent_id == self.probe_id and self.probe is not None:
            self.probe_reply = True
            self.check_probe()
        elif request is not None and message.parent_id == request.flush_id:
            request.flush_reply = message
            request.flush_reply_at = time.monotonic()
            self.maybe_finish()
        elif request is not None and message.parent_id == request.message.msg_id:
            request.reply = message
            if request.is_execute:
                self.send_flush()
            self.maybe_finish()
        else:
            idents = self.routes.pop(message.parent_id, None)
            if idents is not None:
                self.to_frontend(self.f_shell, message, idents)

    def on_kernel_control(self, frames):
        message = parse(frames, self.kernel_signer, "Deno control")
        if message is None:
            return
        log(f"<- deno control {message.msg_type}")
        if message.msg_type == "shutdown_reply":
            self.shutdown_at = time.monotonic()
        idents = self.routes.pop(message.parent_id, [])
        self.to_frontend(self.f_control, message, idents)

    def on_kernel_stdin(self, frames):
        message = parse(frames, self.kernel_signer, "Deno stdin")
        if message is None:
            return
        request = self.current
        idents = self.routes.get(request.message.msg_id, []) if request is not None else []
        self.to_frontend(self.f_stdin, message, idents)

    def on_kernel_iopub(self, frames):
        self.iopub_count += 1
        message = None if self.iopub_count == TEST_CORRUPT else parse(frames, self.kernel_signer, "Deno iopub")
        if message is None:
            self.reconnect_iopub("a garbled message from Deno's iopub")
            return
        self.last_iopub_at = time.monotonic()
        msg_type = message.msg_type
        parent_id = message.parent_id
        request = self.current
        log(f"<- deno iopub {msg_type} parent {parent_id[-12:]}")
        if msg_type == "display_data" and SYNC_PREFIX.encode() in message.content_bytes and self.take_sync(message):
            return
        if parent_id and parent_id == self.probe_id:
            if msg_type == "status" and message.content().get("execution_state") == "idle":
                self.probe_idle = True
                self.check_probe()
            return
        if request is not None and msg_type in OUTPUT_TYPES and b"microgpt-flush-" in message.content_bytes and \
                self.take_marker(request, message):
            self.maybe_finish()
            return
        if request is not None and parent_id in request.flush_ids:
            if msg_type == "status":
                if parent_id == request.flush_id and message.content().get("execution_state") == "idle":
                    request.flush_idle = True
                    self.maybe_finish()
                return
            if msg_type == "execute_input" or msg_type == "error":
                return
            # Anything else Deno labelled with a flush is the user request's output.
        if request is not None and parent_id == request.message.msg_id:
            if msg_type == "status":
                if message.content().get("execution_state") == "idle":
                    request.idle = message
                    request.idle_at = time.monotonic()
                    self.maybe_finish()
                else:
                    self.publish(message)
                return
            if msg_type == "error":
                request.errors.append(message)
                return
            self.publish(message)
            return
        if msg_type in ("status", "execute_input"):
            if not parent_id:
                self.publish(message)  # e.g. Deno's "starting"; anything else here is stale
            return
        # Output (or anything else shown) labelled with a flush, an older request or none: it
        # belongs to the request running now, else (a timer's output after the cell ended) to the
        # latest cell.
        owner = request.message if request is not None and request.is_execute else self.last_execute
        self.publish(message, parent_bytes=owner.header_bytes if owner is not None else None)

    def take_marker(self, request, message):
        """Takes the flush markers out of `message` (recording the current flush's), and passes
        on whatever else it carries. True if it carried a marker."""
        content = message.content()
        if message.msg_type == "stream":
            lines = content.get("text", "").split("\n")
            found = request.markers.intersection(lines)
            if not found:
                return False
            if request.flush_marker in found:
                request.flush_seen.add("stream")
            rest = "\n".join(line for line in lines if line not in found)
            if rest.strip("\n"):
                content["text"] = rest
                owner = request.message.header_bytes
                self.publish(message, parent_bytes=owner, content_bytes=json.dumps(content).encode())
            return True
        data = content.get("data")
        if message.msg_type == "display_data" and isinstance(data, dict) and data.get("text/plain") in request.markers \
                and len(data) == 1:
            if data["text/plain"] == request.flush_marker:
                request.flush_seen.add("display")
            return True
        return False

    # --- startup, liveness -------------------------------------------------------------------

    def start_probe(self, purpose):
        self.probe = purpose
        self.probe_id = None
        self.probe_sent_at = 0.0

    def probe_tick(self):
        """Asks Deno for kernel_info until its reply and its iopub idle are both seen: only then
        does the iopub connection work (what Deno publishes before it is up is lost)."""
        if self.probe is None or time.monotonic() - self.probe_sent_at < PROBE_RETRY_SECONDS:
            return
        self.probe_sent_at = time.monotonic()
        self.probe_reply = False
        self.probe_idle = False
        self.probe_id = self.hidden_request("kernel_info_request", {})

    def check_probe(self):
        if not (self.probe_reply and self.probe_idle):
            return
        purpose, self.probe = self.probe, None
        log(f"Deno's iopub works ({purpose})")
        self.ready = True
        if self.current is not None and self.current.is_execute and self.current.flush_id is not None:
            self.send_flush()  # what the lost connection carried is gone; flush again
        self.dispatch()

    def parent_alive(self):
        if self.parent_pid <= 1:
            return True
        try:
            os.kill(self.parent_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # it exists, as another user
        return True

    def run(self):
        for attempt in range(1, STARTUP_ATTEMPTS + 1):
            self.start_deno()
            code = self.loop()
            if code is None:
                return 0
            if self.ready or self.shutting_down or attempt == STARTUP_ATTEMPTS:
                return code
            # Deno died while starting: most likely another process took one of its ports first.
            print(f"kernel_proxy: Deno exited with {code} while starting; retrying on fresh ports", file=sys.stderr)
            self.close_deno_sockets()
        return 1

    def loop(self):
        """Relays until Deno exits; returns its exit code (None after a requested shutdown)."""
        self.poller = zmq.Poller()
        handlers = {
            self.f_shell: self.on_frontend_shell,
            self.f_control: self.on_frontend_control,
            self.f_stdin: self.on_frontend_stdin,
            self.k_shell: self.on_kernel_shell,
            self.k_control: self.on_kernel_control,
            self.k_stdin: self.on_kernel_stdin,
        }
        for sock in [*handlers, self.f_hb, self.k_iopub, self.sync_server]:
            self.poller.register(sock, zmq.POLLIN)

        def handle(sock):
            if sock is self.k_iopub:
                self.on_kernel_iopub(sock.recv_multipart(zmq.NOBLOCK))
            else:
                handlers[sock](sock.recv_multipart(zmq.NOBLOCK))

        while True:
            for sock, _ in self.poller.poll(100):
                if sock is self.f_hb:
                    self.f_hb.send_multipart(self.f_hb.recv_multipart())
                    continue
                # (pyzmq reports plain sockets by file descriptor)
                if sock == self.sync_server.fileno():
                    self.sync_accept()
                    continue
                if sock in self.sync_fds:
                    self.sync_read(self.sync_fds[sock])
                    continue
                # Drain the socket (many messages may be waiting) before polling again; stop if
                # it was replaced meanwhile (a reconnect to Deno's iopub).
                while sock is self.k_iopub or sock in handlers:
                    try:
                        handle(sock)
                    except zmq.Again:
                        break
            self.probe_tick()
            if self.current is not None:
                self.maybe_finish()  # the stall and flush timeouts
            code = self.deno.poll()
            if code is not None:
                # Relay whatever Deno sent before it exited (a shutdown_reply, last outputs).
                for sock in (self.k_control, self.k_shell, self.k_stdin, self.k_iopub):
                    while True:
                        try:
                            handle(sock)
                        except zmq.Again:
                            break
                self.poller = None
                return None if self.shutting_down else code
            if not self.parent_alive():
                print("kernel_proxy: the frontend that started the kernel is gone; stopping", file=sys.stderr)
                self.shutting_down = True
                return None
            if self.shutdown_at and time.monotonic() - self.shutdown_at > SHUTDOWN_GRACE_SECONDS:
                self.deno.terminate()  # it replied to shutdown_request but did not exit


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deno", default="deno", help="the deno executable (default: deno on PATH)")
    parser.add_argument("connection_file")
    args = parser.parse_args(argv[1:])
    with open(args.connection_file) as f:
        connection = json.load(f)
    # Interrupts come as interrupt_request messages (the kernelspec says so); a stray SIGINT
    # must not kill the proxy. SIGTERM ends Deno too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    proxy = Proxy(connection, args.deno)

    def terminate(_signum, _frame):
        if proxy.deno is not None and proxy.deno.poll() is None:
            proxy.deno.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, terminate)
    try:
        return proxy.run()
    finally:
        if proxy.deno is not None and proxy.deno.poll() is None:
            proxy.deno.terminate()
            try:
                proxy.deno.wait(5)
            except subprocess.TimeoutExpired:
                proxy.deno.kill()
        proxy.context.destroy(linger=0)
        try:
            for name in os.listdir(proxy.conn_dir):
                os.remove(os.path.join(proxy.conn_dir, name))
            os.rmdir(proxy.conn_dir)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main(sys.argv))
