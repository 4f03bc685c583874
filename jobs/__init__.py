"""Entry points: `python -m jobs.resolve`, `jobs.generate_catalog`, `jobs.evaluate`."""
