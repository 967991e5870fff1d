"""digest: a static site generator for news digests."""

__version__ = "0.2.0"
