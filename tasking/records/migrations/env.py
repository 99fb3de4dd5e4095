"""Alembic environment: migrations always run on the connection tasking.records.store hands over (programmatic
upgrade inside the open of a store), never from an alembic.ini URL."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)  # batch: SQLite alters tables by copying them

with context.begin_transaction():
    context.run_migrations()
