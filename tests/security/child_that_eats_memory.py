"""A render child (render_child's protocol) that allocates until its memory limit stops it."""

import sys

from portal.letters.render_child import serve


def eat_memory(_request: dict) -> str:
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


if __name__ == "__main__":
    serve(eat_memory, int(sys.argv[1]))
