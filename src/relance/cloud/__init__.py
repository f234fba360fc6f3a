"""Cloud Functions faces of relance (functions-framework entry points), over the app layer."""
