"""Puts tests/data on sys.path, for the image tree that tests/data/fake_tree.py writes."""
import pathlib
import sys

DATA_TESTS = str(pathlib.Path(__file__).resolve().parent.parent / "data")
if DATA_TESTS not in sys.path:
    sys.path.insert(0, DATA_TESTS)
