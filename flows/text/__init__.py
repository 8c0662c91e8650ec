"""Text helpers: the conventions of Chinese newspaper text the stages read and compare."""
