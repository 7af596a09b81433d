#!/usr/bin/env bash
# The oldest ansible-core of the support matrix (2.16), next to the newest in .venv:
#   tests/ansible-test/oldest.sh venv             make the venv (VENV_OLDEST, default ~/.cache/vfio-passthrough/venv-oldest;
#                                                 pip's cache makes a rebuild quick)
#   tests/ansible-test/oldest.sh functional [PYTEST ARGS]  the functional suite (default: tests/functional)
#                                                 with ansible-core 2.16
#   tests/ansible-test/oldest.sh docs             docs/modules/*.md as 2.16's ansible-doc renders them,
#                                                 compared with the committed pages (a diff if they differ)
#   tests/ansible-test/oldest.sh sanity-pythons [--versions 3.6,3.7]  sanity compile and import with 2.16
#                                                 on its target Pythons (3.6 to 3.12; 3.6 and 3.7 only it supports)
# PYTHON (default python3) makes the venv: ansible-core 2.16 runs on controller Python 3.10 to 3.12.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# Outside the checkout by default: a venv below it would go into ansible-galaxy collection build (galaxy.yml
# build_ignore lists .venv only) and into make sanity's copy.
venv=${VENV_OLDEST:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-passthrough/venv-oldest}
py=$venv/bin/python
reqs=$here/oldest-requirements.txt

make_venv() {
    if [ ! -x "$py" ]; then
        "${PYTHON:-python3}" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' || {
            echo "ansible-core 2.16 needs Python 3.10 to 3.12 on the controller; set PYTHON" >&2; exit 2; }
        mkdir -p "$(dirname "$venv")"
        "${PYTHON:-python3}" -m venv "$venv"
    fi
    if [ ! -e "$venv/.stamp" ] || [ "$reqs" -nt "$venv/.stamp" ]; then
        "$py" -m pip install -q --disable-pip-version-check -r "$reqs"
        # Ansible finds the collection from the venv, as make venv does for .venv.
        site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        mkdir -p "$site/ansible_collections/vfio"
        ln -sfn "$repo" "$site/ansible_collections/vfio/passthrough"
        touch "$venv/.stamp"
    fi
    "$py" -c "import ansible.release as r; print(\"ansible-core %s in $venv\" % r.__version__)"
}

case "${1:-}" in
venv)
    make_venv ;;
functional)
    shift
    make_venv
    cd "$repo" && exec "$py" -m pytest -q -n 2 "${@:-tests/functional}" ;;
docs)
    make_venv
    cd "$repo" && exec "$py" "$here/docs_diff.py" ;;
sanity-pythons)
    shift
    make_venv
    exec "$py" "$here/sanity_pythons.py" "$@" ;;
*)
    sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
