"""The runtime: one supervisor actor per thread, run execution, and run event logs."""
