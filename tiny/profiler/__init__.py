"""tiny.profiler: parameters, FLOPs (equal to torch's FlopCounterMode), latency, memory, and a per-op Profiler."""
from tiny.profiler.flops import FlopCounter, count_flops
from tiny.profiler.latency import LatencyResult, measure_latency
from tiny.profiler.memory import MemoryReport, measure_memory
from tiny.profiler.parameters import count_parameters
from tiny.profiler.profiler import KeyAverages, OpAverage, Profiler, ProfilerEvent

__all__ = ["count_parameters", "count_flops", "FlopCounter", "measure_latency", "LatencyResult",
           "measure_memory", "MemoryReport", "Profiler", "ProfilerEvent", "OpAverage", "KeyAverages"]
