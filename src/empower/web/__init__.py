"""The Empower site (Django).

Numerical libraries start one thread per core for each process by default; the site runs several
worker processes on small servers, where that oversubscribes the cores and makes pages slower,
not faster. One thread each, unless the operator says otherwise. This runs before any module of
the site imports numpy.
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
