"""The GraphQL schema: one module per type family, assembled in ``schema``."""
