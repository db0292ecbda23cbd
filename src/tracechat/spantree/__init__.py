"""A trace's spans as a tree, and what the tree says about them: parents and children in
reading order (``tree``), graph node runs folded into their agent (``graph``), small
readings of one span (``spans``) and the one agent-attribution rule (``attribution``).

Pure functions over ``genai`` facts, shared by ingest (the agents the trace list stores)
and query (the trajectory, the assistant's tokens by agent): neither layer imports the
other.
"""
