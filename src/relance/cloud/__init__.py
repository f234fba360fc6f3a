"""The Google Cloud face of relance: the Cloud Functions' entry points (docs/deploy-gcp.md).

`scheduler.daily_run` (HTTP, Cloud Scheduler), `menu.menu_action` (HTTP, the Sheets menu),
`fanout.dispatch` and `fanout.worker` (many workbooks through Pub/Sub). Like the command line,
this face reaches workbooks and channels only through relance.app; the functions-framework
decorators are applied in cloud_functions/main.py, so this package imports without it.
"""
