"""relance: accounts-receivable reminders driven from a workbook."""

__version__ = "0.1.0"
