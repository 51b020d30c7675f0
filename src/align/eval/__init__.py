"""Evaluation: metrics, tasks scored against the world, the report card."""
