"""The daily report's entry point under the name the daily flow imports (``alerts.daily_report``);
the report itself lives in ``alerts.report``."""

from alerts.report import DailyReport, report_folder, write_daily_report

__all__ = ["DailyReport", "report_folder", "write_daily_report"]
