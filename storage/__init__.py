"""Persistence: SQLAlchemy models, sessions, queries, Alembic migrations, the demo catalog.

The only package that speaks SQL.
"""
