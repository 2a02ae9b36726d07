"""seed_sets: seed records read from the spec's seed files."""
