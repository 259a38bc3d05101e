"""Bulk data in and out: CSV, XLSX and JSON files of records, and templates to fill."""
