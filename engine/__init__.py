"""Formwork: a metadata-driven configurable forms engine."""
