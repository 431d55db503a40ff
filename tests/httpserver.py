"""The tests' HTTP server is the one the demo uses (newswatch.localserver)."""
from newswatch.localserver import LocalHTTPServer, Route

__all__ = ["LocalHTTPServer", "Route"]
