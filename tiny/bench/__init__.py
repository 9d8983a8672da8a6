"""tiny.bench: benchmarking on real measurements and the Olympics (events, normalized scores, submissions).

Nothing here is simulated: latency is timed, memory is counted from the model's arrays and traced during a
forward, accuracy is the model's argmax on data. See events.py for each event's score and constraints."""
from tiny.bench.benchmark import Benchmark, ModelMeasurement, model_bytes
from tiny.bench.data import load_split
from tiny.bench.events import EventRules, OlympicEvent
from tiny.bench.result import BenchmarkResult
from tiny.bench.scoring import calculate_normalized_scores
from tiny.bench.submission import (SANITY_LIMITS, SUBMISSION_SCHEMA, ValidationReport, generate_submission, load_model,
                                   validate_submission)

__all__ = ["Benchmark", "BenchmarkResult", "ModelMeasurement", "OlympicEvent", "EventRules",
           "calculate_normalized_scores", "validate_submission", "generate_submission", "ValidationReport",
           "SUBMISSION_SCHEMA", "SANITY_LIMITS", "load_model", "load_split", "model_bytes"]
