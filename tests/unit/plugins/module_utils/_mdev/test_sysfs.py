"""The library reads the mdev layout of the simulated host: parents, types and running devices."""

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev import sysfs as _mdev

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'


def test_mdev_parents_types_and_active_devices(seed):
    host = Host()
    assert _mdev.parent_names(host) == ['matrix']
    mtype = _mdev.Parent(host, 'matrix').types()[0]
    assert mtype.id == 'vfio_ap-passthrough'
    assert mtype.info() == {'name': 'VFIO AP Passthrough Device', 'device_api': 'vfio-ap',
                            'available_instances': 65536, 'description': None}
    seed.write(UUID, 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create')
    assert _mdev.running(host) == {UUID: ('matrix', 'vfio_ap-passthrough')}
    assert mtype.info()['available_instances'] == 65535
