# -*- coding: utf-8 -*-
# Copyright: contributors to vfio.passthrough
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel modules: a driver that is not registered is loaded with modprobe, on a real host only."""

from .._core.errors import NotFound


def load_driver(host, bus, driver):
    """Make sure ``driver`` is registered on ``bus`` (a Bus), loading its kernel module on a real host."""
    if bus.has_driver(driver):
        return
    path = host.display(bus.driver_path(driver))
    if not host.is_real:
        raise NotFound('driver %s is not registered on bus %s (%s is missing); kernel modules are only loaded '
                       'when VFIO_PASSTHROUGH_ROOT is /' % (driver, bus.name, path), path=path, value=driver)
    modprobe = host.tools.which('modprobe')
    if modprobe is None:
        raise NotFound('driver %s is not registered on bus %s (%s is missing) and there is no modprobe to load it'
                       % (driver, bus.name, path), path=path, value=driver)
    rc, out, err = host.tools.run([modprobe, '-q', '--', driver])
    if rc != 0 or not bus.has_driver(driver):
        said = (err + out).strip()
        why = ('it exited 0 but no driver %s registered (no module of that name, or one whose driver has another '
               'name)' % driver if rc == 0 else 'exit %d%s' % (rc, ', ' + said if said else ''))
        other = driver.replace('-', '_') if '-' in driver else driver.replace('_', '-')
        if other != driver and bus.has_driver(other):  # modprobe takes - and _ alike; driver names do not
            why += '; did you mean %s?' % other
        raise NotFound('driver %s is not registered on bus %s (%s is missing) and "modprobe %s" did not load it: %s'
                       % (driver, bus.name, path, driver, why), path=path, value=driver)
