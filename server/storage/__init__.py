"""Storage backends for threadloom's records and LangGraph's checkpoints."""
