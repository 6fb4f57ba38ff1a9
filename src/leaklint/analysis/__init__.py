"""One file, from its bytes to its findings: context, suppression comments, results."""
