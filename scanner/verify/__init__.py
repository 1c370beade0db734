"""Live verification: ask each key's own provider, read-only, whether the key still works.

The only stage of keyleak that touches the network, and only when asked (`--verify`). This
package's top level stays light: httpx is imported by `transport` alone, when a request is sent.
"""
