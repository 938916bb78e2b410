"""Turning a name into the object it stands for, with an error that lists the valid names, closest first."""
import difflib


def closest_first(name, candidates):
    """The candidates ordered by similarity to ``name``: close matches first, then the rest alphabetically."""
    candidates = sorted(set(candidates))
    close = difflib.get_close_matches(str(name), candidates, n=len(candidates), cutoff=0.0)
    return close or candidates


def unknown_name_error(kind, name, candidates):
    """The ValueError for an unknown string identifier: what was given and every valid name, closest first."""
    names = closest_first(name, candidates)
    return ValueError(f"Unknown {kind}: {name!r}. Valid {kind} names, closest first: {', '.join(names)}")


def lookup(kind, name, table):
    """``table[name]``, or a ValueError naming ``kind`` and the valid names, closest first."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise unknown_name_error(kind, name, table) from None
