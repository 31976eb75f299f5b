"""A2A (Agent2Agent): the wire of `/a2a/{assistant_id}`, pure."""
