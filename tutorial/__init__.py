"""The tutorial's own tooling: the chain of checkpoints (chain), the
lessons and exercises (lessons), the docs pages built from the folders
(step_code, what_changed) and `make carry` (carry).

Lesson code never imports it: each checkpoint runs on its own.
"""
