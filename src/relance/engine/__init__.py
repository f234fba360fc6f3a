"""The pure engine: tables in, records, figures and a Plan out (see docs/architecture.md)."""
