"""At-rest encryption with the project's `langgraph_sdk.Encryption` (`encryption` in
langgraph.json): its handlers, the request's encryption context, and the codecs the
encrypting storage (`server/storage/encrypted/`) applies to records and checkpoints."""
