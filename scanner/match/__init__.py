"""Matching: every rule against a chunk's bytes, its encoded runs decoded, its notebook cells
read as text, rules about the file's path applied. Pure: no I/O, no settings, the rules and the
matcher are handed in."""
