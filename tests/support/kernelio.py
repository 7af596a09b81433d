"""One write into a simulated kernel model (no FUSE), as the simulator's unit tests make it."""


def write(kernel, path, data):
    """0, or the errno of the write."""
    try:
        kernel.write(path, kernel.tree.get(path), data)
        return 0
    except OSError as exc:
        return exc.errno
