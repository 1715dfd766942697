"""A render child (render_child's protocol) that never answers: test_letter_template_limits kills it."""

import sys
import time

from portal.letters.render_child import serve


def never_end(_request: dict) -> str:
    while True:
        time.sleep(60)


if __name__ == "__main__":
    serve(never_end, int(sys.argv[1]))
