# vfio.passthrough: set-up, demo and tests. Every target works on a fresh Debian host as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SYSTEM_PACKAGES := fuse3 driverctl mdevctl shellcheck
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: venv system-packages demo test unit functional functional-oldest functional-newest units-ansible-test integration sanity-pythons reliability-tests sanity lint docs reliability bench test-kernel clean test-kernel-s390 test-kernel-reboot docs-site docs-site-test

venv: system-packages $(VENV)/.stamp

# fuse3 gives libfuse3 and fusermount3 to the simulated host; driverctl and mdevctl are the
# real peers the interchangeability tests run against; shellcheck is what ansible-test sanity runs on
# the shell scripts (it skips that test, silently, where shellcheck is missing).
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.stamp: requirements.txt test-requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -r test-requirements.txt
	# The collection is found by ansible from the venv: a link in site-packages to this checkout.
	site=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') && \
	  mkdir -p $$site/ansible_collections/vfio && \
	  ln -sfn $(CURDIR) $$site/ansible_collections/vfio/passthrough
	touch $@

# The demo playbook against the simulated IBM Z host of the seed document, in a temporary root.
demo: venv
	@root=$$(mktemp -d /tmp/vfio-demo.XXXXXX); \
	trap 'tests/simhost/simhost stop '$$root' >/dev/null; rm -rf '$$root EXIT; \
	tests/simhost/simhost start $$root --scenario seed && \
	VFIO_PASSTHROUGH_ROOT=$$root $(VENV)/bin/ansible-playbook docs/examples/demo.yml

test: venv unit functional functional-oldest functional-newest reliability-tests sanity sanity-pythons units-ansible-test integration \
      lint docs-site-test

unit: venv
	$(PY) -m pytest -q tests/unit

functional: venv
	$(PY) -m pytest -q tests/functional

reliability-tests: venv
	$(PY) -m pytest -q tests/reliability

# The oldest ansible-core of the support matrix (2.16) beside the newest in .venv: the functional suite
# again, in a venv kept outside the checkout (tests/ansible-test/oldest.sh).
functional-oldest: venv
	PYTHON=$(PYTHON) tests/ansible-test/oldest.sh functional

# ... and on the newest ansible-core on PyPI (2.20 and later need Python 3.12+ on the controller: the newest
# python3.1x found, pyenv's included; with none, the newest that this Python can run).
functional-newest: venv
	MATRIX_END=newest PYTHON=$(PYTHON) tests/ansible-test/oldest.sh functional

# ansible-test as collection users run it, on a copy at ansible_collections/vfio/passthrough
# (tests/ansible-test/): units, the integration targets (each on a simulated host), and sanity's compile
# and import on every target Python the support matrix names (the pyenv or Debian Pythons found).
units-ansible-test: venv
	$(PY) tests/ansible-test/units.py

integration: venv
	$(PY) tests/ansible-test/integration.py

sanity-pythons: venv
	$(PY) tests/ansible-test/sanity_pythons.py
	PYTHON=$(PYTHON) tests/ansible-test/oldest.sh sanity-pythons --versions 3.6,3.7

# Runs the reliability and functional suites and writes their figures to docs/reliability.md.
reliability: venv
	$(PY) tests/reliability/report.py

sanity: venv
	$(PY) tests/sanity.py

# ansible-lint of the whole repository as a user runs it (.ansible-lint: production profile, offline).
lint: venv
	$(VENV)/bin/ansible-lint

# The module reference pages in docs/modules, rendered by ansible-doc (a test checks they are current).
docs: venv
	$(PY) tests/render_docs.py

# The antsibull-docs site: the module and role reference and the guides of docs/*.md, which pandoc
# converts to docs/docsite/rst (committed; a test checks they are current). Lints with
# antsibull-docs lint-collection-docs, builds the HTML in .docsite-build/ and prints where it is.
DOCSITE_PACKAGES := pandoc chromium fonts-dejavu-core
docs-site: venv
	@$(call apt-install-missing,$(DOCSITE_PACKAGES))
	$(PY) tests/docsite/build_site.py

# The site's test (part of make test): guides current, lint, build, and headless Chromium on the
# collection's page and the mdev module's page (screenshots kept in tests/output/docsite/).
docs-site-test: venv
	@$(call apt-install-missing,$(DOCSITE_PACKAGES))
	$(PY) -m pytest -q tests/docsite

# apt-get install those of the Debian packages $(1) that are not installed.
apt-install-missing = missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); if [ -n "$$missing" ]; then echo "installing" $$missing; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi

# The real-kernel labs: Debian's x86 kernel in QEMU with the scenarios and the conformance probe inside
# it, the s390x kernel with vfio_ccw and its reboot (test-kernel-s390, below), then the x86 reboot lab:
# a Debian systemd guest rebooted after a playbook, with and without driverctl and mdevctl.
test-kernel: venv
	tests/kernel/lab.sh
	tests/kernel/s390/lab.sh
	tests/kernel/reboot/lab.sh

test-kernel-reboot: venv
	tests/kernel/reboot/lab.sh

# Benchmarks (not part of make test): timings are measured here, never asserted in tests.
# Benchmarks side by side with mdevctl and driverctl (not part of test): writes benchmarks/RESULTS.md.
bench: venv
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache

# The s390x real-kernel lab: a cross-built 6.1 kernel with vfio_ccw under qemu-system-s390x (TCG),
# the collection's modules run with s390x Python inside it (see tests/kernel/s390/README.md).
# Cached in VFIO_LAB_CACHE (default /var/cache/vfio-passthrough-lab)/s390; cold ~10-20 min, warm ~3 min.
test-kernel-s390: venv
	tests/kernel/s390/lab.sh
