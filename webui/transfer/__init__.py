"""Import and export of records in the web UI: an import page per entity with a preview
and a streamed run (imports.py), and exports of what a list shows (exports.py); each
module's `blueprint` is registered by create_app."""
