"""Walking networks: loading, indexing, snapping points onto streets, bounded shortest-path search."""
