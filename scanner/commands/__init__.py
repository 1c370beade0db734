"""One thin module per command: options in, a pipeline call, an exit code out. `scanner.cli`
parses the command line and calls these; a module here bears its command's name."""
