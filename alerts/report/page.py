"""The daily report as one self-contained HTML page: the template ``daily_report.html.j2`` with
autoescaping on (enterprise names are data and may contain markup) and inline SVG charts."""

from __future__ import annotations

from functools import cache

import jinja2
from markupsafe import Markup

from alerts.lifecycle import STATUS_ZH
from alerts.report import rows as r
from alerts.report.figures import DISTRIBUTION_TIERS, REPORT_TIERS, DailyFigures
from alerts.report.svg import line_chart, stacked_bars

TEMPLATE = "daily_report.html.j2"
HTML_ROWS = 200  # longer tables are cut in the page; the XLSX has every row
TIER_NAMES = {t: r.tier_label(t) for t in REPORT_TIERS}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("alerts", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def report_html(f: DailyFigures) -> str:
    """The whole page for ``f``: headline cards, trend, distributions, the day's alerts, watchlist
    changes, data quality and the footer."""
    days = [d.strftime("%m-%d") for d, _ in f.trend]
    trend_chart = line_chart(
        days,
        {t: [c.get(t, 0) for _, c in f.trend] for t in REPORT_TIERS},
        names=TIER_NAMES,
        title=f"近{len(f.trend)}个评分日各等级企业数",
    )
    distributions = []
    for attr, title, header in r.DISTRIBUTIONS:
        groups = getattr(f, attr)
        distributions.append(
            {
                "title": title,
                "header": header,
                "tiers": [r.tier_label(t) for t in DISTRIBUTION_TIERS],
                "rows": r.distribution_rows(groups),
                "chart": Markup(
                    stacked_bars(
                        groups, keys=DISTRIBUTION_TIERS, names=TIER_NAMES, title=f"黄色及以上风险企业{title}"
                    )
                ),
            }
        )
    alert_tables = []
    for attr, title, empty in r.ALERT_TABLES:
        rows = r.alert_rows(getattr(f, attr))
        alert_tables.append(
            {"title": title, "empty": empty, "total": len(rows), "rows": rows[:HTML_ROWS],
             "more": max(len(rows) - HTML_ROWS, 0)}
        )  # fmt: skip
    watch = r.watch_rows(f)
    context = {
        "title": r.TITLE,
        "day": f.as_of.isoformat(),
        "data_day": f.data_as_of.isoformat(),
        "stale": f.data_as_of != f.as_of,
        "scored": f"{f.scored:,}",
        "scored_delta": r.signed(None if f.scored_previous is None else f.scored - f.scored_previous),
        "tier_cards": [
            {
                "key": t,
                "label": f"{r.tier_label(t)}风险",
                "value": f"{f.tiers.get(t, 0):,}",
                "delta": r.signed(f.tier_change(t)),
            }
            for t in REPORT_TIERS
        ],  # fmt: skip
        "statuses": [(STATUS_ZH[s], n) for s, n in f.statuses.items()],
        "open_total": sum(f.statuses.values()),
        "area_warnings": f.area_warnings,
        "counts": {
            "new": len(f.new_alerts),
            "escalated": len(f.escalated_alerts),
            "closed": len(f.closed_alerts),
            "entered": sum(c.direction == "纳入" for c in f.watchlist),
            "left": sum(c.direction == "移出" for c in f.watchlist),
        },
        "trend_days": len(f.trend),
        "trend_chart": Markup(trend_chart),
        "trend_headers": r.TREND_HEADERS,
        "trend_rows": r.trend_rows(f)[::-1],  # newest first in the table; the chart reads left to right
        "distributions": distributions,
        "alert_headers": r.ALERT_HEADERS,
        "alert_tables": alert_tables,
        "watch_headers": r.WATCH_HEADERS,
        "watch_rows": watch[:HTML_ROWS],
        "watch_more": max(len(watch) - HTML_ROWS, 0),
        "quality_headers": r.QUALITY_HEADERS,
        "quality_rows": r.quality_rows(f),
        "rejected_rows": r.rejected_rows(f),
        "model_version": f.model_version,
        "generated": f.generated_at.strftime("%Y-%m-%d %H:%M"),
    }
    return _environment().get_template(TEMPLATE).render(**context)
