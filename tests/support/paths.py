"""Where things are: the checkout, the simulated host's command line and the venv's tools."""

import os
import sys

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
SIMHOST = os.path.join(TESTS, 'simhost', 'simhost.py')
VENV_BIN = os.path.dirname(sys.executable)
