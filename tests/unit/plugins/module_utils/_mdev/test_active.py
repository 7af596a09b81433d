"""What a running mdev runs with: a vfio_ap matrix as the kernel shows it, or nothing readable."""

from ansible_collections.vfio.passthrough.plugins.module_utils._core.host import Host
from ansible_collections.vfio.passthrough.plugins.module_utils._mdev.active import matrix_attrs_of, running_attrs

UUID = '669d9b23-fe1b-4ecb-be08-a2fabca99b71'
CREATE = 'sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create'


def test_matrix_attrs_are_adapters_then_domains_then_control_domains():
    matrix = {'adapter': {6, 5}, 'domain': {0xab}, 'control_domain': {4}}
    assert matrix_attrs_of(matrix) == [('assign_adapter', '0x5'), ('assign_adapter', '0x6'),
                                       ('assign_domain', '0xab'), ('assign_control_domain', '0x4')]


def test_a_running_vfio_ap_device_without_callouts_runs_its_matrix(seed):
    seed.write(UUID, CREATE)
    seed.write('5', 'sys/bus/mdev/devices', UUID, 'assign_adapter')
    seed.write('0x42', 'sys/bus/mdev/devices', UUID, 'assign_domain')
    attrs, source = running_attrs(Host(), None, UUID, 'matrix', 'vfio_ap-passthrough')
    assert (attrs, source) == ([('assign_adapter', '0x5'), ('assign_domain', '0x42')], 'matrix')


def test_other_devices_without_callouts_run_nothing_readable(tmp_path):
    assert running_attrs(Host(str(tmp_path)), None, UUID, '0.0.0313', 'vfio_ccw-io') == (None, None)
