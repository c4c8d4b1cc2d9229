"""Array in, numbers out: spike statistics, decoding, weight distances, run I/O.

Nothing here builds or runs Brian2 objects; times are plain floats in seconds.
"""
