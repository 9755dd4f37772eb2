"""Algorithms registered by name."""
