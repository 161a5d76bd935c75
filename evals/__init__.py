"""Evaluation: question sets, metrics, reports, external benchmarks and benches."""
