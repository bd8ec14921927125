"""
Notebook 10's exercises: every worked solution (notebooks/solutions/10_pytorch.py) passes its check
(notebooks/exercises/10_pytorch.py), and the placeholder answer each exercise cell of the notebook holds
fails it, so a check that cannot fail is caught here. From the repository root:

    /usr/bin/python3 notebooks/solutions/10_pytorch_test.py

(A file name that starts with a digit is not one `unittest discover` imports; tests/torch_test.ts runs it.)
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import unittest

NOTEBOOKS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(NOTEBOOKS)
sys.path[:0] = [os.path.join(ROOT, "torch"), NOTEBOOKS]  # microgpt; exercises/ and solutions/

import microgpt  # noqa: E402
import torch  # noqa: E402

exercises = importlib.import_module("exercises.10_pytorch")
solutions = importlib.import_module("solutions.10_pytorch")

# Each exercise's function and the check that grades it.
CHECKS = {
    "causal_mask": "check_causal_mask",
    "process_documents": "check_process_documents",
    "document_losses": "check_document_losses",
    "two_process_gradient": "check_two_process_gradient",
}


class TestExercises(unittest.TestCase):
    def test_solutions_pass_and_placeholders_fail(self) -> None:
        with open(os.path.join(NOTEBOOKS, "10_pytorch.ipynb"), encoding="utf-8") as f:
            cells = ["".join(c["source"]) for c in json.load(f)["cells"] if c["cell_type"] == "code"]
        placeholders: dict = {"torch": torch, "F": torch.nn.functional, "microgpt": microgpt}
        exercise_cells = [source for source in cells if "# TODO" in source]
        self.assertEqual(len(exercise_cells), len(CHECKS))
        for source in exercise_cells:
            exec(source, placeholders)  # the cells as the notebook has them
        for name, check_name in CHECKS.items():
            check = getattr(exercises, check_name)
            with self.subTest(exercise=name):
                self.assertRegex(check(getattr(solutions, name)), r"^✓ ")
                self.assertRegex(check(placeholders[name]), r"^✗ ")


if __name__ == "__main__":
    unittest.main()
