"""tiny's differential tests and their runner (`python -m difftests`). A regular package, so pytest puts
the project root on sys.path rather than this folder (whose profile.py would shadow the standard library's).
"""
