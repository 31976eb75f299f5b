"""Texts of the protocol's refusals, as the official server words them."""

NO_BOUND_RUN = "No active run is bound to this thread."
NO_INTERRUPTED_RUN = "No interrupted run is bound to this thread."
