"""Storage: SQLModel tables, the engine, Alembic migrations, reads and writes."""
