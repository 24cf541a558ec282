"""cx: customer-experience journey analysis over DuckDB."""

__version__ = "0.1.0"
