"""Writes with side effects, one module per area (services/<area>.py).

Service functions take keyword-only arguments, are atomic where they touch several rows,
and are called alike from views, tasks, commands and the admin.
"""
