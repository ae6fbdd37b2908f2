#!/usr/bin/env python3
"""bench/report.py OUT_DIR: turn OUT_DIR/results.tsv (method, N, setup ms/jail, teardown ms/jail)
into a Markdown table on stdout (ms per jail and the ratio to jailnet) and OUT_DIR/plot.svg
(ms per jail vs N for every tool, setup solid and teardown dashed, log scale). Standard library only."""
import math
import sys
from collections import OrderedDict

ORDER = ["jailnet", "jailnet+netns", "shell-ip", "ip-batch", "cni-bridge", "netavark"]
COLORS = {"jailnet": "#d62728", "jailnet+netns": "#ff9896", "shell-ip": "#1f77b4",
          "ip-batch": "#17becf", "cni-bridge": "#2ca02c", "netavark": "#9467bd"}


def load(path):
    data = OrderedDict()  # method -> {N: (setup, teardown)}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 4:
                continue
            data.setdefault(p[0], {})[int(p[1])] = (float(p[2]), float(p[3]))
    return data


def table(data):
    ns = sorted({n for v in data.values() for n in v})
    methods = [m for m in ORDER if m in data] + [m for m in data if m not in ORDER]
    out = ["| tool | N | setup ms/jail | × jailnet | teardown ms/jail | × jailnet |",
           "|---|---:|---:|---:|---:|---:|"]
    for m in methods:
        for n in ns:
            if n not in data[m]:
                continue
            s, t = data[m][n]
            base = data.get("jailnet", {}).get(n)
            rs = f"{s / base[0]:.1f}" if base and base[0] > 0 else "–"
            rt = f"{t / base[1]:.1f}" if base and base[1] > 0 else "–"
            out.append(f"| {m} | {n} | {s:.2f} | {rs} | {t:.2f} | {rt} |")
    return "\n".join(out)


def svg(data, path):
    w, h, l, r, t, b = 760, 460, 70, 170, 40, 50
    ns = sorted({n for v in data.values() for n in v})
    vals = [x for v in data.values() for p in v.values() for x in p if x > 0]
    lo = 10 ** math.floor(math.log10(min(vals)))
    hi = 10 ** math.ceil(math.log10(max(vals)))
    nmin, nmax = min(ns), max(ns)

    def X(n):
        return l + (n - nmin) / max(nmax - nmin, 1) * (w - l - r)

    def Y(v):
        return t + (math.log10(hi) - math.log10(max(v, lo))) / (math.log10(hi) - math.log10(lo)) * (h - t - b)

    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<rect width="{w}" height="{h}" fill="white"/>',
         f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="15">ms per jail vs N (log scale; solid: setup, dashed: teardown)</text>']
    d = lo
    while d <= hi * 1.001:
        y = Y(d)
        s.append(f'<line x1="{l}" x2="{w - r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        s.append(f'<text x="{l - 6}" y="{y + 4:.1f}" text-anchor="end">{d:g}</text>')
        d *= 10
    for n in ns:
        s.append(f'<line x1="{X(n):.1f}" x2="{X(n):.1f}" y1="{t}" y2="{h - b}" stroke="#eee"/>')
        s.append(f'<text x="{X(n):.1f}" y="{h - b + 18}" text-anchor="middle">{n}</text>')
    s.append(f'<text x="{(l + w - r) / 2}" y="{h - 10}" text-anchor="middle">N (jails)</text>')
    s.append(f'<text x="16" y="{(t + h - b) / 2}" transform="rotate(-90 16 {(t + h - b) / 2})" text-anchor="middle">ms per jail</text>')
    s.append(f'<rect x="{l}" y="{t}" width="{w - l - r}" height="{h - t - b}" fill="none" stroke="#333"/>')
    methods = [m for m in ORDER if m in data] + [m for m in data if m not in ORDER]
    for k, m in enumerate(methods):
        c = COLORS.get(m, "#7f7f7f")
        pts = sorted(data[m].items())
        for idx, dash in ((0, ""), (1, ' stroke-dasharray="6 4"')):
            xy = " ".join(f"{X(n):.1f},{Y(p[idx]):.1f}" for n, p in pts)
            s.append(f'<polyline points="{xy}" fill="none" stroke="{c}" stroke-width="2"{dash}/>')
            for n, p in pts:
                s.append(f'<circle cx="{X(n):.1f}" cy="{Y(p[idx]):.1f}" r="3" fill="{c}"/>')
        ly = t + 10 + k * 20
        s.append(f'<line x1="{w - r + 12}" x2="{w - r + 36}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="3"/>')
        s.append(f'<text x="{w - r + 42}" y="{ly + 4}">{m}</text>')
    s.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/out"
    data = load(f"{out}/results.tsv")
    print(table(data))
    svg(data, f"{out}/plot.svg")


if __name__ == "__main__":
    main()
