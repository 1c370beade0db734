"""Sources turn a place (a tree, the git index) into chunks of bytes; they match nothing."""
