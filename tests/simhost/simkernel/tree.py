"""The file tree of the simulated host: directories, attributes and links.

Paths are absolute (``/sys/...``, ``/proc/...``); a directory keeps its entries in the order
they were made, which is the order ``readdir`` lists them in.
"""

import os


class Node(object):
    """A file system object; ``mode`` holds permission bits only."""

    __slots__ = ('mode',)


class Dir(Node):
    """A directory: an ordered mapping of names to nodes."""

    __slots__ = ('children',)

    def __init__(self):
        self.mode = 0o755
        self.children = {}


class Attr(Node):
    """A sysfs attribute: a value, and the handler that reacts to writes."""

    __slots__ = ('value', 'handler', 'owner')

    def __init__(self, value='', mode=0o444, handler=None, owner=None):
        self.mode = mode
        self.value = value
        self.handler = handler
        self.owner = owner


class Link(Node):
    """A symbolic link to an absolute path of the simulated host."""

    __slots__ = ('target',)

    def __init__(self, target):
        self.mode = 0o777
        self.target = target


def split(path):
    """Split an absolute simulated path into its components."""
    return [p for p in path.split('/') if p]


class Tree(object):
    """The file tree under the simulated ``/sys``; paths are absolute (``/sys/...``)."""

    def __init__(self):
        self.root = Dir()

    def get(self, path):
        """Return the node at ``path`` without following links, or None."""
        node = self.root
        for part in split(path):
            if not isinstance(node, Dir):
                return None
            node = node.children.get(part)
            if node is None:
                return None
        return node

    def mkdir(self, path):
        """Create ``path`` and its parents as directories; return the directory."""
        node = self.root
        for part in split(path):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = Dir()
            node = child
        return node

    def put(self, path, node):
        """Place ``node`` at ``path``, creating parent directories."""
        parent, name = os.path.split(path)
        self.mkdir(parent).children[name] = node
        return node

    def attr(self, path, value='', mode=0o444, handler=None, owner=None):
        """Create an attribute file."""
        return self.put(path, Attr(value, mode, handler, owner))

    def link(self, path, target):
        """Create a symbolic link to ``target``."""
        return self.put(path, Link(target))

    def remove(self, path):
        """Remove the node at ``path`` (a whole subtree for a directory)."""
        parent, name = os.path.split(path)
        node = self.get(parent)
        if isinstance(node, Dir):
            node.children.pop(name, None)
