#!/usr/bin/env bash
# The oldest ansible-core of the support matrix (2.16), or with MATRIX_END=newest the newest, beside .venv:
#   tests/ansible-test/oldest.sh venv             make the venv (VENV_OLDEST, default ~/.cache/vfio-passthrough/venv-oldest;
#                                                 pip's cache makes a rebuild quick)
#   tests/ansible-test/oldest.sh functional [PYTEST ARGS]  the functional suite (default: tests/functional)
#                                                 with ansible-core 2.16
#   tests/ansible-test/oldest.sh docs             docs/modules/*.md as 2.16's ansible-doc renders them,
#                                                 compared with the committed pages (a diff if they differ)
#   tests/ansible-test/oldest.sh sanity-pythons [--versions 3.6,3.7]  sanity compile and import with 2.16
#                                                 on its target Pythons (3.6 to 3.12; 3.6 and 3.7 only it supports)
# PYTHON (default python3) makes the venv: ansible-core 2.16 runs on controller Python 3.10 to 3.12.
# MATRIX_END=newest does the same with the newest ansible-core on PyPI (2.20 and later need Python 3.12 or
# later on the controller: PYTHON defaults to the newest python3.1x found, pyenv's included).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
end=${MATRIX_END:-oldest}
# Outside the checkout by default: a venv below it would go into ansible-galaxy collection build (galaxy.yml
# build_ignore lists .venv only) and into make sanity's copy.
venv=${VENV_OLDEST:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-passthrough/venv-$end}
py=$venv/bin/python
reqs=$here/$end-requirements.txt
if [ "$end" = newest ] && [ -z "${PYTHON_NEWEST:-}" ]; then
    for cand in /root/.pyenv/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.12*/bin/python3.12 python3.14 \
                python3.13 python3.12; do
        # a pyenv shim is found but fails for a version not activated: the candidate must run
        if "$cand" -c '' >/dev/null 2>&1; then PYTHON_NEWEST=$(command -v "$cand"); break; fi
    done
fi
[ "$end" != newest ] || PYTHON=${PYTHON_NEWEST:-${PYTHON:-python3}}

make_venv() {
    if [ ! -x "$py" ]; then
        if [ "$end" = oldest ]; then
            "${PYTHON:-python3}" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' || {
                echo "ansible-core 2.16 needs Python 3.10 to 3.12 on the controller; set PYTHON" >&2; exit 2; }
        fi
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
