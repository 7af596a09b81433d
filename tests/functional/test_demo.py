"""The demo playbook (make demo) runs against the seed host and leaves it as the seed describes."""

import os
import subprocess

from support.ansible_run import ansible_env
from support.paths import REPO, VENV_BIN


def test_demo_playbook(seed):
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-playbook'), 'docs/examples/demo.yml'], cwd=REPO,
                          check=False, stdin=subprocess.DEVNULL, env=ansible_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    assert 'the second run changed nothing' in proc.stdout
    folded = ' '.join(proc.stdout.split())
    assert '0.0.0313 (DASD 0.0.2b09): driver vfio_ccw, override vfio_ccw, persisted vfio_ccw' in folded
    assert seed.driver('css', '0.0.0314') == 'vfio_ccw'
    shown = ' '.join(proc.stdout.replace('\\"', '"').split())  # the callback may escape and wrap long lines
    assert ('669d9b23-fe1b-4ecb-be08-a2fabca99b71 matrix vfio_ap-passthrough manual @{0}: {"assign_adapter": "5"} '
            '@{1}: {"assign_domain": "0xab"} @{2}: {"assign_domain": "0x42"}') in shown
    assert '7e270a25-e163-4922-af60-757fc8ed48c6 0.0.0313 vfio_ccw-io auto (active)' in folded
    assert 'b29e4ca9-5cdb-4ee1-a01b-79085b9ab237 0.0.0314 vfio_ccw-io manual (active)' in folded


def test_rendered_reference_pages_are_current():
    proc = subprocess.run([os.path.join(VENV_BIN, 'python'), os.path.join(REPO, 'tests', 'render_docs.py'), '--check'],
                          check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
