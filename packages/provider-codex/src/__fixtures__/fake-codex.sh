#!/bin/sh
# A stand-in codex binary for the version check test.
echo "codex-cli 0.1.2"
