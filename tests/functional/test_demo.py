"""The demo playbook (make demo) runs against the seed host and leaves it as the seed describes."""

import os
import subprocess

from conftest import REPO, VENV_BIN, ansible_env


def test_demo_playbook(seed):
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), 'docs/examples/demo.yml'], cwd=REPO,
                          check=False, env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    assert 'the second run changed nothing' in proc.stdout
    assert '0.0.0313 (DASD 0.0.2b09): driver vfio_ccw, override vfio_ccw, persisted vfio_ccw' in proc.stdout
    assert seed.driver('css', '0.0.0314') == 'vfio_ccw'
