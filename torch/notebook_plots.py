"""
Line plots for the Python notebook (10_pytorch), drawn as our TypeScript notebooks draw theirs
(lib/plot/display.ts): each figure goes to Jupyter as plain Plotly JSON, which VS Code and JupyterLab
render, with an offline HTML fallback (plotly.js from node_modules/, sent once by `load_plotly`) for
classic Notebook and nbconvert's HTML export, and a text summary for everything else. Standard library
and IPython only: nothing to install beyond the Python kernel.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from IPython.display import display

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLOTLY_JS = os.path.join(ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js")
PLOT_CONFIG = {"responsive": True, "displaylogo": False}
_count = 0


def load_plotly() -> None:
    """Sends plotly.js to the page once (an inline script, no network), for the HTML fallbacks."""
    try:
        with open(PLOTLY_JS, encoding="utf-8") as f:
            source = f.read().replace("</script", "<\\/script")
    except OSError:
        print(f"(no {PLOTLY_JS}: run `deno install` for plots in classic Notebook and HTML exports)")
        return
    html = f'<script type="text/javascript">\nif (!window.Plotly) {{\n{source}\n}}\n</script>'
    display({"text/html": html, "text/plain": "plotly.js loaded for this notebook's plots"}, raw=True)


def smooth(values: list[float], smoothing: float = 0.9) -> list[float]:
    """An exponential moving average, bias-corrected at the start (lib/stats.ts `smoothLosses`)."""
    out, average, weight = [], 0.0, 0.0
    for v in values:
        average = smoothing * average + (1 - smoothing) * v
        weight = smoothing * weight + (1 - smoothing)
        out.append(average / weight)
    return out


def line_figure(
    series: dict[str, tuple[list[float], list[float]]],
    title: str,
    x_title: str = "step",
    y_title: str = "loss",
    log_y: bool = False,
    modes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Plotly figure of named lines, each `(xs, ys)`; `modes` may make one `markers`."""
    data = [
        {"type": "scatter", "mode": (modes or {}).get(name, "lines"), "name": name, "x": xs, "y": ys}
        for name, (xs, ys) in series.items()
    ]
    layout = {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, **({"type": "log"} if log_y else {})},
        "height": 380,
        "margin": {"t": 50, "r": 20, "b": 50, "l": 60},
    }
    return {"data": data, "layout": layout}


def summary(figure: dict[str, Any]) -> str:
    """The figure in words: its title and each line's name and number of points."""
    lines = [f'Figure "{figure["layout"]["title"]["text"]}": {len(figure["data"])} traces']
    lines += [f'  {trace["mode"]} "{trace["name"]}": {len(trace["y"])} points' for trace in figure["data"]]
    return "\n".join(lines)


def show(figure: dict[str, Any]) -> None:
    """Shows a figure: Plotly JSON, the offline HTML fallback and the text summary, in one output."""
    global _count
    _count += 1
    text = json.dumps(figure, separators=(",", ":")).replace("<", "\\u003c")
    element = f"microgpt-plot-{_count}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    html = f"""<div id="{element}" class="microgpt-plot" style="width: 100%; height: {figure["layout"]["height"]}px;"></div>
<script type="text/javascript">
(function () {{
  var figure = {text};
  var tries = 0;
  function draw() {{
    var el = document.getElementById("{element}");
    if (el && window.Plotly) {{
      window.Plotly.newPlot(el, figure.data, figure.layout, {json.dumps(PLOT_CONFIG)});
    }} else if (tries++ < 1200) {{
      setTimeout(draw, 50);
    }}
  }}
  draw();
}})();
</script>"""
    bundle = {"application/vnd.plotly.v1+json": figure, "text/html": html, "text/plain": summary(figure)}
    display(bundle, raw=True)
