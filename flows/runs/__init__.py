"""How runs go: archive files, worker processes, batches, stopping, failures and logs."""
