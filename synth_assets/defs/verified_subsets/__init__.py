"""verified_subsets: the generations of one recipe and day that pass their verifiers."""
