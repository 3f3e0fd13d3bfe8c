"""Draws docs/benchmarks.png from the table bench/report.py saved (matplotlib, bench-only venv).

build/bench/plot-venv/bin/python bench/chart.py build/bench/table.json docs/benchmarks.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display: a file only
import matplotlib.pyplot as plt

COLOURS = {"ours": "#1f77b4", "upstream": "#d62728", "floor": "#7f7f7f"}


def panel(ax, rows: list[dict], title: str, xlabel: str, log: bool) -> None:
    """Horizontal bars, one group a row; times on a log scale (they span five decades)."""
    height = 0.27
    for i, sdk in enumerate(("ours", "upstream", "floor")):
        ys = [n + (i - 1) * height for n in range(len(rows))]
        values = [row[sdk] if row[sdk] and row[sdk] > 0 else 0 for row in rows]
        ax.barh(
            ys,
            values,
            height,
            label=sdk if sdk != "upstream" else "upstream 0.5.0",
            color=COLOURS[sdk],
        )
        for y, v, row in zip(ys, values, rows, strict=True):
            if v:
                bound = "≥ " if sdk == "upstream" and row.get("bound") else ""
                ax.text(
                    v * 1.05,
                    y,
                    bound + (f"{v:,.1f}" if v < 100 else f"{v:,.0f}"),
                    va="center",
                    fontsize=7,
                )
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(
        [f"{row['label'].replace('`', '')} ({row['unit']})" for row in rows], fontsize=8
    )
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.grid(axis="x", alpha=0.3)


def main() -> None:
    with open(sys.argv[1]) as f:
        table = json.load(f)
    times = [row for row in table if row["unit"] == "ms"]
    rates = [row for row in table if row["unit"] in ("calls/s", "MB/s")]
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(11, 0.42 * (len(times) + len(rates)) + 2.5),
        gridspec_kw={"height_ratios": [len(times), max(len(rates), 1)]},
    )
    panel(top, times, "Time: lower is better", "milliseconds (log scale)", log=True)
    panel(bottom, rates, "Throughput: higher is better", "per second", log=False)
    top.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
