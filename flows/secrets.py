"""Destination URLs may name a Prefect Secret block: `url: "${prefect-secret:slack-webhook}"`.

Only the flows import Prefect, so the reader lives here and is handed down to
`digests.deliver.deliver_due` as `secrets`. A value is read when a delivery run
first needs it, kept for that run only (a rotated secret is picked up by the next
run), and never printed or logged: errors name the block, not what it holds.
"""
from __future__ import annotations

from newswatch.errors import ConfigError


class PrefectSecrets:
    """`${prefect-secret:NAME}` -> the value of the Prefect Secret block NAME, cached for one delivery run."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name not in self._values:
            self._values[name] = _load(name)
        return self._values[name]


def _load(name: str) -> str:
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except ValueError:
        raise ConfigError(f"Prefect Secret block {name!r} not found (create it with "
                          f"`Secret(value=...).save({name!r})` or in the Prefect UI)") from None
    except Exception as exc:  # the API is unreachable, the block is of another type, ...
        raise ConfigError(f"Prefect Secret block {name!r} cannot be read ({type(exc).__name__})") from None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"Prefect Secret block {name!r} must hold a non-empty string")
    return value
