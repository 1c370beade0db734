"""Sources turn a place (a tree, the git index, a repository's history) into chunks of bytes;
they match nothing."""
