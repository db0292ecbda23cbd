"""tracechat: self-hosted observability for AI agents.

OTLP spans in, agent trajectories out. See README.md for the two-command quickstart.
"""

__version__ = "0.1.0"
