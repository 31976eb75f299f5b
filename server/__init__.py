"""The aiohttp server of threadloom: configuration, graph loading, storage, routes."""
