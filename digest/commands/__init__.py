"""The commands other than build and serve: each composes build and one library."""
