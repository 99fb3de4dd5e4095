"""The library of product sections. Each module holds one kind of section; each section is
`def name(session, scope, ctx) -> SectionResult` (see tasks/products/engine.py and docs/products.md)."""
