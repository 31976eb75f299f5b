"""The thread-centric streaming protocol ("v3", `client.threads.stream`): command
envelopes, subscription filters, run requests, and the per-connection session that turns
a thread's stored run events into numbered protocol events. Pure: no I/O."""
