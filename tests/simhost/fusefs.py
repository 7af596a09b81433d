"""FUSE front end of the simulated kernel (mfusepy, single-threaded).

Each ``write`` call is one sysfs store, as in kernfs: the handler runs at once and
its errno is returned to the writer. Caching is off (zero timeouts, direct I/O) so
that a device created by a write is visible to the next ``stat``.
"""

import errno as E
import os
import stat

import mfusepy as fuse

from simkernel import Attr, Dir, Link

SYSFS_SIZE = 4096


class SysFS(fuse.Operations):
    """Serve ``kernel.tree`` (``/sys`` and ``/proc``) below the mount point."""

    use_ns = True

    def __init__(self, kernel):
        self.kernel = kernel
        self.uid, self.gid = os.getuid(), os.getgid()

    @staticmethod
    def _sys(path):
        return path

    def _node(self, path):
        node = self.kernel.tree.get(self._sys(path))
        if node is None:
            raise fuse.FuseOSError(E.ENOENT)
        return node

    def getattr(self, path, fh=None):
        """stat(): directories, 4096-byte attributes and links, as sysfs shows them."""
        node = self._node(path)
        t = int(self.kernel.start_time * 1e9)
        st = {'st_uid': self.uid, 'st_gid': self.gid, 'st_atime': t, 'st_mtime': t, 'st_ctime': t, 'st_nlink': 1}
        if isinstance(node, Dir):
            st.update(st_mode=stat.S_IFDIR | node.mode, st_nlink=2, st_size=0)
        elif isinstance(node, Link):
            st.update(st_mode=stat.S_IFLNK | 0o777, st_size=len(self._relative(path, node)))
        else:
            st.update(st_mode=stat.S_IFREG | node.mode, st_size=SYSFS_SIZE)
        return st

    def _relative(self, path, node):
        return os.path.relpath(node.target, os.path.dirname(self._sys(path)))

    def readlink(self, path):
        """Links are relative, as sysfs makes them."""
        node = self._node(path)
        if not isinstance(node, Link):
            raise fuse.FuseOSError(E.EINVAL)
        return self._relative(path, node)

    def readdir(self, path, fh):
        """List a directory."""
        node = self._node(path)
        if not isinstance(node, Dir):
            raise fuse.FuseOSError(E.ENOTDIR)
        return ['.', '..'] + list(node.children)

    def open(self, path, fi):
        """Refuse reads of write-only and writes of read-only attributes (EACCES, even for root)."""
        node = self._node(path)
        if not isinstance(node, Attr):
            raise fuse.FuseOSError(E.EISDIR)
        acc = fi.flags & os.O_ACCMODE
        if acc in (os.O_RDONLY, os.O_RDWR) and not node.mode & 0o444:
            raise fuse.FuseOSError(E.EACCES)
        if acc in (os.O_WRONLY, os.O_RDWR) and not node.mode & 0o222:
            raise fuse.FuseOSError(E.EACCES)
        fi.direct_io = 1
        fi.fh = 0
        return 0

    def read(self, path, size, offset, fh):
        """Return the attribute's current text."""
        node = self._node(path)
        data = self.kernel.read(node).encode('utf-8', 'surrogateescape')
        return data[offset:offset + size]

    def write(self, path, data, offset, fh):
        """One store: the handler runs now; a failure returns its errno."""
        node = self._node(path)
        try:
            self.kernel.write(self._sys(path), node, data.decode('utf-8', 'surrogateescape'))
        except OSError as exc:
            raise fuse.FuseOSError(exc.errno)
        return len(data)

    def truncate(self, path, length, fh=None):
        """O_TRUNC on an attribute is accepted and ignored, as on sysfs."""
        self._node(path)
        return 0

    def create(self, path, mode, fi=None):
        """sysfs has no creatable files."""
        raise fuse.FuseOSError(E.EACCES)

    def mkdir(self, path, mode):
        """sysfs has no mkdir."""
        raise fuse.FuseOSError(E.EPERM)

    def unlink(self, path):
        """sysfs files cannot be removed."""
        raise fuse.FuseOSError(E.EPERM)

    rmdir = unlink

    def statfs(self, path):
        """Report an empty file system, as sysfs does."""
        return {'f_bsize': 4096, 'f_frsize': 4096, 'f_namemax': 255}


def serve(kernel, mountpoint):
    """Mount and serve until unmounted."""
    fuse.FUSE(SysFS(kernel), mountpoint, raw_fi=True, foreground=True, nothreads=True,
              fsname='simhost-sysfs', attr_timeout=0, entry_timeout=0, negative_timeout=0)
