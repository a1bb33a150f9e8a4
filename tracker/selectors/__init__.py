"""Reads, one module per area: they query and never write."""
