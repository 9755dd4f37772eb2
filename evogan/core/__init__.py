"""The contracts and nothing else: the ask/tell `Algorithm`, `Variation` and `LearnedVariation`,
`Callback` and `RunState`, the one bounds mapping, seeding, and evogan's errors. Nothing here
imports an implementation or torch."""
