"""A search run on several processes or machines: the chief that serves KerasTuner's oracle, the local
worker processes it starts, and the worker a user starts elsewhere."""
