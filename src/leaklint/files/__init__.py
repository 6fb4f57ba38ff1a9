"""Which files to check, and how one file is read and decoded."""
