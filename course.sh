#!/bin/sh
# Kept for old instructions and muscle memory: the course's entry point is course.py (python course.py --help).
exec python3 "$(dirname "$0")/course.py" "$@"
