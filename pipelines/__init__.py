"""HOW a search runs: config, data, tuner, tracking, evaluation."""
