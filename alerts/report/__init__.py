"""The daily report (日报) for the bureau: figures from the database, as an HTML page and a workbook.

``write_daily_report`` is the entry point; ``figures`` aggregates, ``rows`` gives the Chinese tables,
``page`` and ``workbook`` render them, ``svg`` draws the page's charts.
"""

from alerts.report.daily import DailyReport, report_folder, write_daily_report

__all__ = ["DailyReport", "report_folder", "write_daily_report"]
