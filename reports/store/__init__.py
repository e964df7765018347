"""The MLflow store both sides share: the names of its layout (names.py), opening it once per process
(opening.py), creating and migrating a new one (migrations.py), reading a search back as a trials table
(trials.py, and sqlite_reader.py without MLflow), the objectives and the errors a user can fix. The training side
(pipelines) writes through it and the rest of reports reads through it; it imports neither side,
and nothing in it trains, so a report loads no TensorFlow."""
