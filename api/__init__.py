"""The edges of the back office: settings, storage wiring, GraphQL, REST and the CLI."""
