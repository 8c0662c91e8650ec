"""Pandera (polars backend) models for every frame the pipeline loads."""

from schemas.articles import ARTICLE_CHECKS, ArticleSchema
from schemas.findings import FindingSchema
from schemas.issues import IssueSchema
from schemas.reporters import ReporterSchema

__all__ = ["ARTICLE_CHECKS", "ArticleSchema", "FindingSchema", "IssueSchema", "ReporterSchema"]
