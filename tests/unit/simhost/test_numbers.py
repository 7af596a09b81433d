"""The simulator and the library read numbers exactly as the kernel's kstrtoul(s, 0) does, and alike."""

import errno
import itertools
import os
import sys

import pytest

from ansible_collections.vfio.passthrough.plugins.module_utils._sysfs.attr import kstrtoul as library_kstrtoul

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), 'simhost'))
from simkernel.core import kstrtoul as kernel_kstrtoul  # noqa: E402

KERNEL = [('5', 5), ('+5', 5), ('5\n', 5), ('0x1f', 31), ('0X1F', 31), ('+0x10', 16), ('010', 8), ('0', 0),
          ('0x', None), ('0xg', None), ('08', None), ('-1', None), (' 5', None), ('5 ', None), ('1_0', None),
          ('', None), ('+', None), ('++5', None), ('5\n\n', None), ('18446744073709551615', 2 ** 64 - 1),
          ('18446744073709551616', None)]


def simulated(text):
    """The simulator's answer: the number, or None where it fails as the kernel does."""
    try:
        return kernel_kstrtoul(text)
    except OSError as exc:
        assert exc.errno in (errno.EINVAL, errno.ERANGE)
        return None


@pytest.mark.parametrize('text, value', KERNEL)
def test_the_kernels_rules(text, value):
    assert library_kstrtoul(text) == value
    assert simulated(text) == value


def test_the_library_and_the_simulator_agree_on_every_short_string():
    alphabet = '0x+-7a8 \n'
    for n in range(1, 5):
        for chars in itertools.product(alphabet, repeat=n):
            text = ''.join(chars)
            assert library_kstrtoul(text) == simulated(text), repr(text)
