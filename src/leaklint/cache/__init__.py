"""What earlier runs left: per-file results and the record of the last run."""
