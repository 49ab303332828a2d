"""The evaluation report for data engineers: Markdown and HTML side by side, with plots.

Written to a folder under the home's ``reports/models``: ``report.md``, ``report.html`` and the
PNG plots they link (calibration curve, precision-recall curve, lead-time histogram). The HTML
has no external assets, so it opens on an offline intranet.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a display
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from models.metrics import Metrics, calibration_table, event_lead_times  # noqa: E402

METRIC_ROWS = (
    ("pr_auc", "PR-AUC", "{:.3f}"),
    ("roc_auc", "ROC-AUC", "{:.3f}"),
    ("brier", "Brier score (lower is better)", "{:.4f}"),
    ("precision_top1pct", "Precision, top 1% per snapshot", "{:.3f}"),
    ("recall_top1pct", "Recall, top 1% per snapshot", "{:.3f}"),
    ("precision_top50", "Precision, top 50 per snapshot", "{:.3f}"),
    ("recall_top50", "Recall, top 50 per snapshot", "{:.3f}"),
    ("recall_30d_ahead", "Events flagged 30+ days ahead (2%/month budget)", "{:.3f}"),
    ("median_lead_days", "Median lead time of flagged events (days)", "{:.0f}"),
    ("events", "Events with a snapshot 30-90 days ahead", "{:.0f}"),
    ("positives", "Positive snapshot rows", "{:.0f}"),
    ("rows", "Snapshot rows", "{:.0f}"),
    ("base_rate", "Base rate (90 days)", "{:.4f}"),
)


@dataclass
class ReportInput:
    title: str
    metrics: dict[str, Metrics]  # scorer -> metrics, in column order
    scored: pl.DataFrame  # uscc, as_of, label, days_to_start, score_<scorer>
    windows: list[str]
    tier_shares: dict[str, float] = field(default_factory=dict)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # heading -> extra table
    notes: list[str] = field(default_factory=list)


def metrics_table(metrics: dict[str, Metrics]) -> list[list[str]]:
    """Header row then one row per metric: the scorers side by side."""
    out = [["metric", *metrics]]
    for key, label, fmt in METRIC_ROWS:
        row = [label]
        for m in metrics.values():
            value = m.as_dict()[key]
            row.append("—" if value is None else fmt.format(value))
        out.append(row)
    return out


def _plots(data: ReportInput, folder: Path) -> dict[str, str]:
    scorers = list(data.metrics)
    y = data.scored["label"].to_numpy().astype(bool)
    files = {}
    fig, ax = plt.subplots(figsize=(5, 4))
    for name in scorers:
        table = calibration_table(data.scored.rename({f"score_{name}": "score"}).select("score", "label"))
        ax.plot(table["predicted"], table["observed"], marker="o", label=name)
    top = float(
        max(data.scored.select(pl.max_horizontal(pl.col(f"score_{s}").max() for s in scorers)).item(), 0.01)
    )
    ax.plot([0, top], [0, top], color="grey", linestyle=":", label="perfect")
    ax.set(xlabel="predicted probability (decile mean)", ylabel="observed rate", title="Calibration")
    ax.legend()
    files["calibration"] = _save(fig, folder / "calibration.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    for name in scorers:
        precision, recall, _ = precision_recall_curve(y, data.scored[f"score_{name}"].to_numpy())
        ax.plot(recall, precision, label=f"{name} (AP {data.metrics[name].pr_auc:.3f})")
    ax.axhline(y.mean(), color="grey", linestyle=":", label="base rate")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    ax.legend()
    files["precision_recall"] = _save(fig, folder / "precision_recall.png")

    fig, ax = plt.subplots(figsize=(5, 4))
    bins = list(range(0, 100, 10))
    for name in scorers:
        leads = event_lead_times(data.scored.rename({f"score_{name}": "score"}))["lead_days"].drop_nulls()
        ax.hist(leads.to_numpy(), bins=bins, alpha=0.5, label=f"{name} ({leads.len()} flagged)")
    ax.set(
        xlabel="days between first flag and layoff start",
        ylabel="events",
        title="Lead time (2%/month budget)",
    )
    ax.legend()
    files["lead_time"] = _save(fig, folder / "lead_time.png")
    return files


def _save(fig: plt.Figure, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _frame_rows(frame: pl.DataFrame) -> list[list[str]]:
    def cell(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    return [frame.columns, *[[cell(v) for v in r] for r in frame.iter_rows()]]


def _html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write(data: ReportInput, folder: Path) -> Path:
    """Write the report; returns the HTML file."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = _plots(data, folder)
    table = metrics_table(data.metrics)
    tiers = [["tier", "share of enterprises"], *[[k, f"{v:.2%}"] for k, v in data.tier_shares.items()]]
    md = [
        f"# {data.title}",
        "",
        "## Windows",
        "",
        *[f"- {w}" for w in data.windows],
        "",
        "## Metrics",
        "",
        _markdown_table(table),
    ]
    if data.tier_shares:
        md += ["", "## Tier shares on the holdout", "", _markdown_table(tiers)]
    for heading, frame in data.tables.items():
        md += ["", f"## {heading}", "", _markdown_table(_frame_rows(frame))]
    if data.notes:
        md += ["", "## Notes", "", *[f"- {n}" for n in data.notes]]
    md += ["", "## Plots", "", *[f"![{k}]({v})" for k, v in plots.items()], ""]
    (folder / "report.md").write_text("\n".join(md), encoding="utf-8")

    parts = [f"<h1>{html.escape(data.title)}</h1>", "<h2>Windows</h2><ul>"]
    parts += [f"<li>{html.escape(w)}</li>" for w in data.windows] + [
        "</ul><h2>Metrics</h2>",
        _html_table(table),
    ]
    if data.tier_shares:
        parts += ["<h2>Tier shares on the holdout</h2>", _html_table(tiers)]
    for heading, frame in data.tables.items():
        parts += [f"<h2>{html.escape(heading)}</h2>", _html_table(_frame_rows(frame))]
    if data.notes:
        parts += ["<h2>Notes</h2><ul>", *[f"<li>{html.escape(n)}</li>" for n in data.notes], "</ul>"]
    parts += ["<h2>Plots</h2>", *[f'<img src="{v}" alt="{k}">' for k, v in plots.items()]]
    style = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}img{margin:1em;max-width:45%}"
    page = f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{html.escape(data.title)}</title><style>{style}</style><body>{''.join(parts)}</body></html>"
    out = folder / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
