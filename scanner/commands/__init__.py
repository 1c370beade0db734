"""One module per command family; cli.py only parses options and calls these."""
