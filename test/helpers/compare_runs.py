"""Compares two kiln training logs epoch by epoch: every loss, val_loss and
val_accuracy figure of the second must match the first's within a relative
tolerance (float sums in another order). The tolerance may be a comma-
separated list, one per epoch, the last for the rest: float differences
grow as training goes on. Prints one line per epoch and exits with 1 on a
mismatch or when the logs differ in length."""
import re
import sys

a_path, b_path = sys.argv[1], sys.argv[2]
rtols = [float(t) for t in sys.argv[3].split(",")]
pattern = re.compile(r"^epoch (\d+)/\d+.*?\bloss ([0-9.eE+-]+)(?:\s+val_loss ([0-9.eE+-]+))?(?:\s+val_accuracy ([0-9.]+)%)?")


def epochs(path):
    out = []
    with open(path) as f:
        for line in f:
            m = pattern.match(line)
            if m:
                out.append([float(x) for x in m.groups()[1:] if x is not None])
    return out


a, b = epochs(a_path), epochs(b_path)
if not a or len(a) != len(b):
    print("mismatch: %d epoch line(s) vs %d" % (len(a), len(b)))
    sys.exit(1)
ok = True
for i, (x, y) in enumerate(zip(a, b), 1):
    worst = max(abs(p - q) / max(abs(p), abs(q), 1e-12) for p, q in zip(x, y))
    same = len(x) == len(y) and worst <= rtols[min(i, len(rtols)) - 1]
    ok &= same
    print("epoch %d: %s (worst relative difference %.2e)" % (i, "same" if same else "DIFFERENT", worst))
sys.exit(0 if ok else 1)
