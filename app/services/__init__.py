"""Use cases: they orchestrate the pure core and the ports. No web framework imports here."""
