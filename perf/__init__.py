"""perf: tiny against torch on the CPU, same weights, same process, ratios (`python -m perf --help`).

Thread pools are pinned to ONE thread on both sides, here, before NumPy or torch is imported: torch's
OpenMP pool and OpenBLAS's threads slow each other down badly when the two libraries alternate in one
process (a 512x512 sgemm measured 1.7 ms alone and 11 ms alternating with torch), and a single thread
each makes the comparison about the libraries, not the scheduler. perf.common.pin_threads() enforces the
same count at run time (threadpoolctl, torch.set_num_threads) and reports what is in force.
"""
import os

THREADS = 1
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                  "NUMEXPR_NUM_THREADS"):
    os.environ[_variable] = str(THREADS)
