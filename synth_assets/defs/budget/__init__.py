"""The budget gate: a blocking check on seed_sets and a refusal in teacher_generations."""
