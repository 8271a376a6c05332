"""Small server-rendered SVG charts (no JavaScript, no external library)."""

from __future__ import annotations

from markupsafe import Markup, escape

W, H = 420, 150
PAD_L, PAD_B, PAD_T, PAD_R = 30, 22, 10, 8


def _frame(body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def bars(points: list[tuple[str, int]], title: str, every: int = 5) -> Markup:
    """Vertical bars (daily volume); labels on every ``every``-th bar."""
    top = max((v for _, v in points), default=0) or 1
    n = max(len(points), 1)
    span = (W - PAD_L - PAD_R) / n
    plot_h = H - PAD_B - PAD_T
    body = [f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" class="axis"/>',
            f'<text x="{PAD_L - 4}" y="{PAD_T + 8}" class="lbl" text-anchor="end">{top}</text>',
            f'<text x="{PAD_L - 4}" y="{H - PAD_B}" class="lbl" text-anchor="end">0</text>']
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = PAD_L + i * span + 1
        body.append(f'<rect x="{x:.1f}" y="{H - PAD_B - h:.1f}" width="{max(span - 2, 1):.1f}" '
                    f'height="{h:.1f}" class="bar"><title>{escape(label)}：{value} 件</title></rect>')
        if i % every == 0 or i == n - 1:
            body.append(f'<text x="{x + span / 2:.1f}" y="{H - 6}" class="lbl" '
                        f'text-anchor="middle">{escape(label)}</text>')
    return _frame(body, title)


def hbars(points: list[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars (categories)."""
    top = max((v for _, v in points), default=0) or 1
    n = max(len(points), 1)
    row = (H - 8) / n
    label_w = 96
    body = []
    for i, (label, value) in enumerate(points):
        y = 4 + i * row
        w = (W - label_w - 40) * value / top
        body.append(f'<text x="{label_w - 4}" y="{y + row * 0.7:.1f}" class="lbl" '
                    f'text-anchor="end">{escape(label[:8])}</text>')
        body.append(f'<rect x="{label_w}" y="{y + 1:.1f}" width="{w:.1f}" height="{row - 3:.1f}" '
                    f'class="bar alt"><title>{escape(label)}：{value} 件</title></rect>')
        body.append(f'<text x="{label_w + w + 4:.1f}" y="{y + row * 0.7:.1f}" class="lbl">{value}</text>')
    if not points:
        body.append(f'<text x="{W / 2}" y="{H / 2}" class="lbl" text-anchor="middle">暂无数据</text>')
    return _frame(body, title)


def line(points: list[tuple[str, float | None]], title: str) -> Markup:
    """A rate in [0, 1] over time (on-time close rate); gaps where there is no data."""
    n = max(len(points) - 1, 1)
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_B - PAD_T
    body = [f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" class="axis"/>']
    for frac in (0.0, 0.5, 1.0):
        y = H - PAD_B - plot_h * frac
        body.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{W - PAD_R}" y2="{y:.1f}" class="grid"/>'
                    f'<text x="{PAD_L - 4}" y="{y + 3:.1f}" class="lbl" text-anchor="end">'
                    f'{int(frac * 100)}%</text>')
    coords = []
    for i, (label, value) in enumerate(points):
        x = PAD_L + plot_w * i / n
        body.append(f'<text x="{x:.1f}" y="{H - 6}" class="lbl" text-anchor="middle">{escape(label)}</text>')
        if value is not None:
            y = H - PAD_B - plot_h * value
            coords.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot">'
                        f'<title>{escape(label)} 起一周：{value * 100:.1f}%</title></circle>')
    if len(coords) > 1:
        body.insert(1, f'<polyline points="{" ".join(coords)}" class="trend"/>')
    return _frame(body, title)
