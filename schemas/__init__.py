"""Pandera (polars backend) models for every frame the pipeline loads."""
