"""The built collection: a clean artifact that installs into an empty path and runs the demo there."""

import os
import subprocess
import tarfile

import yaml

from support.ansible_run import ansible_env
from support.paths import REPO, VENV_BIN

UNWANTED = ('.hypothesis', '.venv/', '__pycache__', '.pytest_cache', '.kernel-lab', '.ansible/', 'collections/ansible_collections',
            'benchmarks/', 'tests/output', '.git/', '.ci/')


def run(*cmd, **kwargs):
    return subprocess.run(list(cmd), check=False, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kwargs)


def test_build_install_and_run_the_demo_from_the_installed_copy(seed, tmp_path):
    built = run(os.path.join(VENV_BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp_path), REPO)
    assert built.returncode == 0, built.stdout
    (artifact,) = [p for p in os.listdir(str(tmp_path)) if p.endswith('.tar.gz')]
    with open(os.path.join(REPO, 'galaxy.yml')) as f:
        version = yaml.safe_load(f)['version']
    assert artifact == 'vfio-passthrough-%s.tar.gz' % version
    assert version != '0.1.0'  # released: the unreleased changelog fragments belong to the next version
    with tarfile.open(str(tmp_path / artifact)) as tar:
        names = tar.getnames()
    assert 'plugins/modules/mdev.py' in names and 'roles/vfio_ap/tasks/main.yml' in names
    assert 'meta/execution-environment.yml' in names and 'docs/examples/demo.yml' in names
    assert 'LICENSES/GPL-3.0-or-later.txt' in names and 'COPYING' in names
    assert [n for n in names if n in ('ansible.cfg', 'pytest.ini', 'test-requirements.txt')] == []
    assert [n for n in names if any(u in n + '/' for u in UNWANTED)] == []
    dest = tmp_path / 'installed'
    installed = run(os.path.join(VENV_BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '-p', str(dest),
                    str(tmp_path / artifact))
    assert installed.returncode == 0, installed.stdout
    copy = dest / 'ansible_collections' / 'vfio' / 'passthrough'
    env = ansible_env()
    env.update(ANSIBLE_COLLECTIONS_PATH=str(dest), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
    doc = run(os.path.join(VENV_BIN, 'ansible-doc'), 'vfio.passthrough.mdev', env=env)
    assert str(copy) in doc.stdout.splitlines()[0], doc.stdout[:300]
    demo = run(os.path.join(VENV_BIN, 'ansible-playbook'), str(copy / 'docs' / 'examples' / 'demo.yml'), env=env,
               cwd=REPO)
    assert demo.returncode == 0, demo.stdout
    assert seed.driver('css', '0.0.0313') == 'vfio_ccw'


def test_builder_adds_nothing_to_an_execution_environment_and_the_hosts_needs_stay_apart():
    out = run(os.path.join(VENV_BIN, 'ansible-builder'), 'introspect', '--sanitize', collections_root())
    assert out.returncode == 0, out.stdout
    assert 'python: []' in out.stdout and 'system: []' in out.stdout, out.stdout  # the modules run on the hosts
    with open(os.path.join(REPO, 'requirements.txt')) as f:
        assert 'pyudev' in f.read()
    with open(os.path.join(REPO, 'bindep.txt')) as f:
        assert 'libudev1 [platform:dpkg]' in f.read()


def collections_root():
    """A directory holding ansible_collections/vfio/passthrough (the venv's link to this checkout)."""
    import sysconfig
    return sysconfig.get_paths()['purelib']
