"""
An output directory owned by one run at a time, as lib/experiment/run_dir.ts owns it, so that our
TypeScript side and this port can take turns on one run's directory (train, stop, continue with the
other, either way) and neither refuses the other's files nor writes over another run's.

- A lock file, `DIR/.lock` (`{"pid":N,"since":"ISO time"}`, made with create-new), keeps a second
  process out while one trains; a lock whose process is gone is taken over. Both programs write and
  read the same lock.
- The files of another run (`checkpoint.json`, `run.json`, `probe.json`, the plots) are refused
  unless `--force`, which removes them first. A run's own files are kept: those of the checkpoint
  being continued (the same directory), or any naming the same `runId`.
- Temporary files left by killed writers (`.NAME.PID.tmp`, ours and the TypeScript side's) are
  removed.

Problems are one-line `UsageError`s, raised before any training. Standard library only.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import time
from typing import Any

from formats import UsageError

LOCK_NAME = ".lock"
# The files a run writes in its directory, by either program (cli/train.ts RUN_FILES).
RUN_FILES = (
    "checkpoint.json",
    "run.json",
    "probe.json",
    *(f"{name}.{ext}" for name in ("loss", "attention") for ext in ("html", "svg", "png")),
)
UNREADABLE_LOCK_GRACE_S = 10.0  # a lock being written is unreadable for a moment; older, its writer died
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.tmp$")
_held_here: set[str] = set()  # the locks this process holds (one naming our pid but not in here is stale)


def process_alive(pid: int) -> bool:
    """True unless process `pid` is known to be gone (signal 0 checks it without touching it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # another user's process, alive
    return True


class OutDir:
    """
    A claimed output directory: this process holds its lock until `release()`.

        out = OutDir.claim("out/run", run_id, force=False, resuming=False)
        try:
            ...  # write the run's files
        finally:
            out.release()
    """

    def __init__(self, directory: str):
        self.dir = directory
        self.lock_path = os.path.join(directory, LOCK_NAME)
        self.held = True

    @classmethod
    def claim(
        cls, directory: str, run_id: str, force: bool, resuming: bool, resume_hint: str | None = None
    ) -> OutDir:
        """
        Creates `directory` if needed and claims it: takes its lock, removes stale temporary files,
        checks that every output name can be written as a file, and refuses another run's files
        unless `force` (which removes them). `resuming`: the directory's run is the one being
        continued, so its files are this run's.
        """
        try:
            os.makedirs(directory, exist_ok=True)
        except FileExistsError:
            raise UsageError(
                f"cannot create output directory {directory}: it exists and is not a directory; "
                "pick another --out"
            )
        except OSError as err:
            raise UsageError(
                f"cannot create output directory {directory}: {err.strerror}; pick another --out"
            )
        out = cls(directory)
        out._take_lock()
        try:
            out._remove_stale_temporaries()
            present = out._present_files()
            if present and not resuming and not out._belongs_to(present, run_id):
                if not force:
                    hint = f"continue that run with {resume_hint}, " if resume_hint else ""
                    raise UsageError(
                        f"{directory} already holds another run's files ({', '.join(present)}); pick another "
                        f"directory, {hint}or replace them with --force"
                    )
                for name in present:
                    os.remove(os.path.join(directory, name))
        except BaseException:
            out.release()
            raise
        return out

    def release(self) -> None:
        """Gives the lock back; calling it again does nothing."""
        if not self.held:
            return
        self.held = False
        _held_here.discard(self.lock_path)
        try:
            lock = read_lock(self.lock_path)
            if isinstance(lock, dict) and lock.get("pid") == os.getpid():
                os.remove(self.lock_path)
        except OSError:
            pass  # already gone

    def _take_lock(self) -> None:
        """Creates the lock file (failing if it exists), taking over one whose process is gone."""
        since = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
        mine = json.dumps({"pid": os.getpid(), "since": since.replace("+00:00", "Z")}, separators=(",", ":"))
        for _ in range(3):
            try:
                fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                pass
            except PermissionError:
                raise UsageError(
                    f"cannot write in {self.dir}: permission denied (a read-only directory?); "
                    "pick a directory you may write to"
                )
            except OSError as err:
                raise UsageError(f"cannot write in {self.dir}: {err.strerror}; pick another directory")
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(mine + "\n")
                _held_here.add(self.lock_path)
                return
            held = read_lock(self.lock_path)
            ours = isinstance(held, dict) and held["pid"] == os.getpid()
            if isinstance(held, dict) and (
                self.lock_path in _held_here if ours else process_alive(held["pid"])
            ):
                raise UsageError(
                    f"{self.dir} is in use by process {held['pid']} (since {held['since']}); wait for it to "
                    f"finish or pick another directory (if that process is gone, delete {self.lock_path})"
                )
            if held == "unreadable" and lock_age(self.lock_path) < UNREADABLE_LOCK_GRACE_S:
                raise UsageError(
                    f"{self.dir} is being claimed by another process; wait a moment or pick another directory"
                )
            self._remove_stale_lock(held)
        raise UsageError(f"cannot lock {self.dir}: other processes keep claiming it; pick another directory")

    def _remove_stale_lock(self, stale: Any) -> None:
        """
        Removes a stale lock without ever removing a fresh one: renamed aside first (atomic), then
        checked to be the one read; a fresh one (taken over by another process meanwhile) is put back.
        """
        aside = f"{self.lock_path}.{os.getpid()}.stale"
        try:
            os.rename(self.lock_path, aside)
        except OSError:
            return  # gone already: try to create it again
        if read_lock(aside) != stale:
            try:
                os.link(aside, self.lock_path)
            except OSError:
                pass  # yet another process holds a newer lock
        os.remove(aside)

    def _remove_stale_temporaries(self) -> None:
        for name in os.listdir(self.dir):
            match = _TEMPORARY.match(name)
            path = os.path.join(self.dir, name)
            if match and os.path.isfile(path):
                pid = int(match.group(1))
                if pid != os.getpid() and not process_alive(pid):
                    try:
                        os.remove(path)
                    except OSError:
                        pass

    def _present_files(self) -> list[str]:
        """The run files present, each checked to be a file (or a link) that can be replaced."""
        present = []
        for name in sorted(os.listdir(self.dir)):
            if name not in RUN_FILES:
                continue
            path = os.path.join(self.dir, name)
            if not os.path.islink(path) and not os.path.isfile(path):
                what = "a directory" if os.path.isdir(path) else "not a regular file"
                raise UsageError(
                    f"{path} exists and is {what}, where this run writes a file; remove it or pick another "
                    "directory"
                )
            present.append(name)
        return present

    def _belongs_to(self, present: list[str], run_id: str) -> bool:
        """True when the files present are `run_id`'s own: its checkpoint or record names it."""
        for name in ("checkpoint.json", "run.json"):
            if name in present:
                try:
                    with open(os.path.join(self.dir, name), encoding="utf-8") as f:
                        value = json.load(f)
                except (OSError, ValueError, RecursionError):
                    return False  # unreadable: not known to be ours
                return isinstance(value, dict) and value.get("runId") == run_id
        return False


def read_lock(path: str) -> dict[str, Any] | str | None:
    """The lock's contents; "unreadable" while it is being written (or corrupt); None if there is none."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    except OSError:
        return "unreadable"
    try:
        info = json.loads(text)
    except ValueError:
        return "unreadable"
    if isinstance(info, dict) and type(info.get("pid")) is int and isinstance(info.get("since"), str):
        return info
    return "unreadable"


def lock_age(path: str) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return float("inf")
