"""AP helpers for tests: the seed host's masks made persistent, as an administrator's chzdev would."""

import os

from ansible_collections.vfio.passthrough.plugins.module_utils._ap.rule import rule_text


def persist_masks(sim):
    """Write ``41-ap.rules`` with the simulated host's current masks (an ``auto`` vfio-ap definition needs it)."""
    masks = [sim.read('sys/bus/ap', name).strip() for name in ('apmask', 'aqmask')]
    path = sim.path('etc/udev/rules.d/41-ap.rules')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(rule_text(*masks))
