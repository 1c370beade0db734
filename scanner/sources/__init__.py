"""Sources turn a place (a tree, the git index) into chunks of bytes; they match nothing."""

#: The same sniff as git's: a NUL byte early on means binary.
BINARY_SNIFF_BYTES = 8000


def looks_binary(content: bytes) -> bool:
    return b"\0" in content[:BINARY_SNIFF_BYTES]
