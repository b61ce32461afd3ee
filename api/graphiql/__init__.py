"""GraphiQL served from the package itself: its pinned bundle, our page, the token prompt."""
