"""The tests' Prefect API server: bench/prefect_server.py, where `newsprint bench` also finds it."""

from bench.prefect_server import free_port, prefect_env, running_prefect_server

__all__ = ["free_port", "prefect_env", "running_prefect_server"]
