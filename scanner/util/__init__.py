"""Small helpers with no knowledge of secrets: atomic writes, the cache directory, progress bars,
printable text."""
