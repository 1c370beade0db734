"""keyleak: find leaked API keys and other secrets in files, staged changes and git history."""

__version__ = "0.1.0"
