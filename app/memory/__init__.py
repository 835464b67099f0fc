"""Server-side gallery memory for the /memory pattern (process-wide: kept across hot reloads)."""
