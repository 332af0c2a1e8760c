"""Summarizes the log of the stand-in NVIDIA driver (fake_cuda.cpp) in
segments that each end with a download (a training step ends with its
loss coming down), one line each:

  segment N: launches L allocs A up SIZES down SIZE late K

SIZES are the bytes of each upload, sorted, or "-"; K counts the uploads
after the segment's first launch (each waits for the kernels queued before
it). Launches outside CUDA's limits are printed as they were logged
("... INVALID")."""
import sys

def fresh():
    return {"launches": 0, "allocs": 0, "up": [], "late": 0}


segments, current = [], fresh()
with open(sys.argv[1]) as f:
    for line in f:
        words = line.split()
        if not words:
            continue
        if words[0] == "launch":
            current["launches"] += 1
            if words[-1] == "INVALID":
                print(line.strip())
        elif words[0] == "alloc":
            current["allocs"] += 1
        elif words[0] == "htod":
            current["up"].append(int(words[1]))
            current["late"] += current["launches"] > 0
        elif words[0] == "dtoh":
            current["down"] = int(words[1])
            segments.append(current)
            current = fresh()
if current["launches"] or current["up"]:
    current["down"] = "-"
    segments.append(current)
for n, s in enumerate(segments, 1):
    up = " ".join(str(b) for b in sorted(s["up"])) or "-"
    print("segment %d: launches %d allocs %d up %s down %s late %d"
          % (n, s["launches"], s["allocs"], up, s["down"], s["late"]))
