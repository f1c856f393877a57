"""A bare Django project with one "hello" view: the throughput baseline."""
