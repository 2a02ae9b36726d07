"""final_mixtures: clean synthetic records mixed with real data, exported."""
