"""Measurements over sets of generated texts."""
