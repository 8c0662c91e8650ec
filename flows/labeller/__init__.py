"""The learned line labeller: gives every line of an issue its role, trained on real newspapers."""
