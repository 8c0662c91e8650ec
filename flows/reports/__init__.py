"""What runs and the warehouse report: summaries, quality findings, previews, exports."""
