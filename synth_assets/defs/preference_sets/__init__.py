"""preference_sets: preference pairs and RL prompts, exported."""
