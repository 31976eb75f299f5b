"""Custom auth from `langgraph.json`'s `auth.path` (reference §8): who makes a request
(`authenticate`), and what they may do (`authorize`)."""
