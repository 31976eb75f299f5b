"""Agents as tools for other agents: `/mcp` and `/a2a/{assistant_id}`."""
