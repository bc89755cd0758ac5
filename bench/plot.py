#!/usr/bin/env python3
"""Renders a per-second CSV of bench/src/bin/mix.rs as an SVG (no dependencies, no network):
throughput (offered, answered, shed), p99 latency per kind (log scale), the server's RSS and
the requests in flight, with the phases marked.

    python3 bench/plot.py bench/out/load.csv docs/load.svg "Title"
"""
import csv
import math
import sys

KINDS = ["scan", "page", "search", "report", "checkin", "task", "healthz"]
COLORS = {"scan": "#1f77b4", "page": "#2ca02c", "search": "#17becf", "report": "#ff7f0e",
          "checkin": "#9467bd", "task": "#8c564b", "healthz": "#d62728"}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else src
    rows = list(csv.DictReader(open(src)))
    rows = [r for r in rows if r["phase"]]
    if not rows:
        sys.exit("no rows with a phase")
    t0 = int(rows[0]["second"])
    xs = [int(r["second"]) - t0 for r in rows]
    num = lambda r, k: float(r[k] or 0)
    answered = [sum(num(r, f"{k}_ok") for k in KINDS) for r in rows]
    shed = [sum(num(r, f"{k}_shed") for k in KINDS) for r in rows]
    errors = [sum(num(r, f"{k}_err") for k in KINDS) + num(r, "dropped") for r in rows]
    offered = [num(r, "offered") for r in rows]
    rss = [num(r, "rss_mib") for r in rows]
    inflight = [num(r, "outstanding") for r in rows]

    W, left, right = 1000, 70, 120
    panels = [("requests / s", 220), ("p99 ms (log)", 220), ("server RSS MiB / in flight", 160)]
    H = 50 + sum(h + 40 for _, h in panels)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W/2}" y="20" text-anchor="middle" font-size="14">{esc(title)}</text>']
    xmax = max(xs) or 1
    sx = lambda x: left + (W - left - right) * x / xmax
    y = 40

    def frame(name, h, ymax, log=False, unit=""):
        out.append(f'<rect x="{left}" y="{y}" width="{W-left-right}" height="{h}" fill="none" stroke="#999"/>')
        out.append(f'<text x="{left}" y="{y-5}">{esc(name)}</text>')
        ticks = ([10 ** e for e in range(0, int(math.log10(ymax)) + 1)] if log
                 else [ymax * i / 4 for i in range(5)])
        for tv in ticks:
            ty = sy(tv, h, ymax, log)
            out.append(f'<line x1="{left-4}" x2="{W-right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#eee"/>')
            out.append(f'<text x="{left-6}" y="{ty+4:.1f}" text-anchor="end">{fmt(tv)}{unit}</text>')
        # phases
        prev = None
        for x, r in zip(xs, rows):
            if r["phase"] != prev:
                px = sx(x)
                out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{y}" y2="{y+h}" stroke="#bbb" stroke-dasharray="3,3"/>')
                out.append(f'<text x="{px+2:.1f}" y="{y+h-4}" fill="#777">{esc(r["phase"])}</text>')
                prev = r["phase"]

    def sy(v, h, ymax, log):
        if log:
            v = max(v, 1)
            return y + h - h * math.log10(v) / math.log10(ymax)
        return y + h - h * v / ymax

    def line(vals, h, ymax, color, label, i, log=False, dash=""):
        pts = " ".join(f"{sx(x):.1f},{sy(v, h, ymax, log):.1f}" for x, v in zip(xs, vals) if v is not None)
        d = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.2"{d} points="{pts}"/>')
        ly = y + 12 + 14 * i
        out.append(f'<line x1="{W-right+8}" x2="{W-right+24}" y1="{ly-4}" y2="{ly-4}" stroke="{color}" stroke-width="2"{d}/>')
        out.append(f'<text x="{W-right+28}" y="{ly}">{esc(label)}</text>')

    # 1: throughput
    h = panels[0][1]
    ymax = nice(max(offered + answered + shed + [1]))
    frame(panels[0][0], h, ymax)
    line(offered, h, ymax, "#999", "offered", 0, dash="4,2")
    line(answered, h, ymax, "#1f77b4", "answered", 1)
    line(shed, h, ymax, "#ff7f0e", "shed 429/503", 2)
    line(errors, h, ymax, "#d62728", "errors", 3)
    y += h + 40
    # 2: p99 per kind
    h = panels[1][1]
    p99s = {k: [num(r, f"{k}_p99_ms") if num(r, f"{k}_ok") > 0 else None for r in rows] for k in KINDS}
    top = max([v for vs in p99s.values() for v in vs if v] + [10])
    ymax = 10 ** math.ceil(math.log10(top))
    frame(panels[1][0], h, ymax, log=True)
    for i, k in enumerate(KINDS):
        line(p99s[k], h, ymax, COLORS[k], k, i, log=True)
    y += h + 40
    # 3: memory and in flight
    h = panels[2][1]
    ymax = nice(max(rss + inflight + [1]))
    frame(panels[2][0], h, ymax)
    line(rss, h, ymax, "#2ca02c", "RSS MiB", 0)
    line(inflight, h, ymax, "#7f7f7f", "in flight", 1)
    out.append(f'<text x="{W/2}" y="{H-8}" text-anchor="middle">seconds</text>')
    out.append("</svg>")
    open(dst, "w").write("\n".join(out))


def nice(v):
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * e:
            return m * e
    return 10 * e


def fmt(v):
    return f"{v:.0f}" if v >= 10 or v == int(v) else f"{v:.1f}"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


if __name__ == "__main__":
    main()
