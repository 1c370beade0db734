"""One module per provider, each ending in its `PROVIDER`; `scanner.verify.registry` lists them."""
