"""Command-line help shared by the interop scripts."""


def joined(argv, valued):
    """argv with each option of valued joined to its value(s) by "=" (and
    two values by ","): argparse takes a value that begins with "-", as a
    Z85 key may, only in that form."""
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        n = valued.get(a, 0)
        if n:
            out.append(a + "=" + ",".join(argv[i + 1:i + 1 + n]))
            i += 1 + n
        else:
            out.append(a)
            i += 1
    return out
