"""Executes a Jupyter notebook like `nbconvert --to notebook --execute --allow-errors`, on
nbclient (the engine nbconvert uses), without losing the outputs the Deno kernel sends late.

The Deno kernel (2.9) reports a cell idle before it has flushed the cell's last stdout lines
(and, rarely, its result): they follow within about 10 ms. nbclient stops listening to a cell
at "idle" and drops what comes after; worse, if the next cell has already been sent, the
kernel labels those lines with the *next* cell's id, so they would show up under the wrong
cell. So after each cell's "idle" this client keeps listening until the kernel has been
quiet for QUIET_SECONDS before it sends the next cell, and it files any message that still
comes late under the cell it names.

Usage: python3 execute_notebook.py IN.ipynb OUT.ipynb [KERNEL_NAME] [CELL_TIMEOUT_SECONDS]
The kernel runs in IN's folder. Exit status 0 when the notebook ran (failing cells are kept
as error outputs), 1 when it could not run at all (no such kernel, kernel died, timeout).
"""

import os
import queue
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async

# After a cell's "idle", wait until the kernel has sent nothing for this long (late lines come
# within ~10 ms; the margin covers a loaded machine).
QUIET_SECONDS = 0.06
# After the last cell, listen this long for stragglers (each arrival restarts the wait).
FINAL_DRAIN_SECONDS = 0.5


class LateOutputClient(NotebookClient):
    """A NotebookClient that files late iopub messages under the cell that sent them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cells_by_msg_id = {}

    def _route(self, msg, current_msg_id):
        """Processes one iopub message; returns True when it completes the current cell."""
        parent_id = msg["parent_header"].get("msg_id")
        target = self._cells_by_msg_id.get(parent_id)
        if target is None:
            return False
        cell, cell_index = target
        if parent_id != current_msg_id and msg["msg_type"] == "status":
            return False
        try:
            self.process_message(msg, cell, cell_index)
        except CellExecutionComplete:
            return parent_id == current_msg_id
        return False

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self._cells_by_msg_id[parent_msg_id] = (cell, cell_index)
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if self._route(msg, parent_msg_id):
                break
        await self._async_drain(QUIET_SECONDS)

    async def _async_drain(self, quiet_seconds):
        """Files every message that arrives until none has for `quiet_seconds`."""
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=quiet_seconds))
            except queue.Empty:
                return
            self._route(msg, None)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        result = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell_index == len(self.nb.cells) - 1:
            await self._async_drain(FINAL_DRAIN_SECONDS)
        return result


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[-4], file=sys.stderr)
        return 2
    source, target = argv[1], argv[2]
    kernel_name = argv[3] if len(argv) > 3 else "deno"
    timeout = int(argv[4]) if len(argv) > 4 else 600
    notebook = nbformat.read(source, as_version=4)
    client = LateOutputClient(
        notebook,
        kernel_name=kernel_name,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}},
    )
    client.execute()
    nbformat.write(notebook, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
