"""`python -m bench`: the performance figures of ecrm as one JSON object (counts and ratios
measured in one run, never asserted as timings in tests). Each area is one module with a
`measure()` returning `Figure`s; `bench.__main__.AREAS` lists them."""
