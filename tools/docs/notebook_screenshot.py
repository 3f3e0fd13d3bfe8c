"""Regenerate docs/notebook.png: examples/local_quickstart.ipynb, executed, as a browser shows it.

Executes the notebook on the local backend (in a temporary state directory, with the kernel the
tests use), renders it to HTML with nbconvert's JupyterLab template, and has headless Chromium
(Debian's ``chromium`` package: ``apt-get install chromium``) take a screenshot of the page.
Run it with ``make screenshot``; it needs the extension built (``make build``).

    .venv/bin/python tools/docs/notebook_screenshot.py [--out docs/notebook.png] [--height 1560]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from nbconvert import HTMLExporter  # noqa: E402

from tests.support import notebooks  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "notebook.png")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=1560, help="the page is cut there")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("needs Debian's chromium package: apt-get install chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="nb-shot-") as tmp:
        work = Path(tmp)
        env = {
            "KUBEFLOW_LOCAL_STATE_DIR": str(work / "state"),
            "JUPYTER_RUNTIME_DIR": str(work / "rt"),
        }
        os.environ["JUPYTER_PATH"] = str(notebooks.kernelspec(work / "jupyter", env))
        nb = notebooks.execute("local_quickstart.ipynb", work, {})
        # The injected-parameters cell is the tests' business, not the reader's.
        nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
        html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
        page = work / "notebook.html"
        page.write_text(html)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",  # root, as in CI, has no user namespace sandbox
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={args.width},{args.height}",
                f"--screenshot={args.out.resolve()}",
                page.as_uri(),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
