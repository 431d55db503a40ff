"""PostgreSQL fixtures for the state tests (the root conftest may also load tests.pgserver as a plugin)."""
from tests.pgserver import pg_db_url, pg_server, pg_url, state_store, state_url  # noqa: F401
