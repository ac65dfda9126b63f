"""Evaluation harness: public human-graded datasets, metrics, calibration fit and benchmarks."""
