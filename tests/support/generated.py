"""Files generated from the sources and committed (reference pages, converted guides): write or check them."""

import os


def sync(directory, pages, check=False):
    """Write ``pages`` ({file name: text}) into ``directory``, or with ``check`` only compare; the stale names."""
    stale = []
    os.makedirs(directory, exist_ok=True)
    for name, text in sorted(pages.items()):
        path = os.path.join(directory, name)
        current = open(path).read() if os.path.exists(path) else None
        if current != text:
            stale.append(name)
            if not check:
                with open(path, 'w') as f:
                    f.write(text)
    return stale
