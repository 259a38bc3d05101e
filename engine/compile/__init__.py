"""Compilers: pure functions from specs to one artifact each."""
