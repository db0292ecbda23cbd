"""tracechat: self-hosted observability for AI agents.

OTLP spans in, agent trajectories out. See README.md for the two-command quickstart.
"""

import os

__version__ = "0.1.0"

# Arrow's allocator, chosen before pyarrow is first imported (it reads this once, then): in
# these wheels the default is mimalloc, and the Iceberg group commit, which allocates in one
# thread and frees in the Parquet writers', then costs 52-57 µs of CPU per span against 40-42
# with jemalloc (bench/iceberg_commit.py, 4 rounds alternated). A pool named already is kept.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
