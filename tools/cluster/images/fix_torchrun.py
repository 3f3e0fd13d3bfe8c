"""Fixes Debian bookworm's torchrun (torch 1.13) under Python 3.11, in place.

Python 3.11 no longer yields zero-valued IntFlag members when iterating the class, so torch's
``Std.from_str("0")`` (torchrun's default ``--redirects``) returns None and every torchrun dies in
``to_map`` with "'NoneType' object has no attribute 'get'". The fix converts the number directly,
as later torch releases do. The file is patched inside the image only; Debian's package is not.
"""

from __future__ import annotations

import sys
from pathlib import Path

BROKEN = """            v = int(v)
            for s in Std:
                if s == v:
                    return s
"""
FIXED = """            return Std(int(v))
"""


def main() -> None:
    path = Path(sys.argv[1])
    text = path.read_text()
    if BROKEN not in text:
        sys.exit(f"{path}: the code to fix is not there (a different torch?)")
    path.write_text(text.replace(BROKEN, FIXED, 1))


if __name__ == "__main__":
    main()
