"""Small, Django-light helpers with their own tests (crypto, codenames, privacy, ...)."""
