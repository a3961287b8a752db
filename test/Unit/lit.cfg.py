# -*- Python -*-
"""Runs the GoogleTest unit tests (unittests/) as part of check-nngc."""
import os

import lit.formats

config.name = "nngc-Unit"
config.suffixes = []
config.test_source_root = os.path.join(config.nngc_obj_root, "unittests")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
