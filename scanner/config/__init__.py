"""Settings: the project config file, the values a scan runs with, rules from a config."""
