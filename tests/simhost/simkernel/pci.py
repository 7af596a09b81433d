"""The PCI bus of the simulated kernel: what its match function adds to the core's.

pci_match_device() takes a device whose driver_override names the driver even when the driver's
id table does not list it; that is how vfio-pci, which has no ids, gets a device.
"""

from .core import BUS_MATCH


def match(kernel, drv, dev):
    """An override naming the driver matches; otherwise the id table decides."""
    return True if dev.override == drv.name else None


BUS_MATCH['pci'] = match
