"""teacher_generations: the teacher's answers to one recipe's prompts on one day."""
