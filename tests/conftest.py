"""The test suite's fixtures, all defined in tests/support (one package, no sys.path edits):

- tests.support.stack: the real stack once per session, isolated topics and databases per use
  (`stack`, `make_settings`, `settings`, `pool`, `unique`);
- tests.support.pipeline: the pipeline e2e suite's isolated popreg driven through its CLI and
  HTTP API (`pipeline_env`, `pipeline_run`, `clean_stage`, ...).

Helpers without fixtures (builders, scenarios, workers) are imported from tests.support.* by
the tests that use them; no test module imports another.
"""

pytest_plugins = ["tests.support.stack", "tests.support.pipeline"]
