"""coverhub: a self-hosted coverage service for GitHub."""

__version__ = "0.1.0"
