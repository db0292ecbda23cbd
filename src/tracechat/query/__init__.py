"""Read side: trajectories and trace summaries, built from stored spans by pure steps."""
