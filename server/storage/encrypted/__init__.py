"""At-rest encryption as a decorator around any backend's `Storage`: records are
encrypted on their way in and decrypted on their way out, checkpoints by the serializer
`open_storage` gives the backend's saver."""

from .storage import EncryptedStorage

__all__ = ["EncryptedStorage"]
