"""Issuer storage on SQLAlchemy Core: one schema for SQLite (default) and PostgreSQL."""
