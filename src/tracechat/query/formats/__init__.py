"""Trajectories as data: pure converters from the trajectory model (``model.trajectory``,
``model.sessions``) to interchange formats. Nothing here reads spans or the store."""
