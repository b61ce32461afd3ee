"""Business logic of the back office: aggregates, value objects and policies.

Pure and deterministic: time and ids come in as arguments, and nothing here imports
the database driver, the web framework or the read side.
"""
