"""Summarizes the log of the stand-in NVIDIA driver (fake_cuda.cpp) in
segments that each end with a download (a training step ends with its
loss coming down), one line each:

  segment N: launches L allocs A up SIZES down SIZE

SIZES are the bytes of each upload, sorted, or "-". Launches outside CUDA's
limits are printed as they were logged ("... INVALID")."""
import sys

segments, current = [], {"launches": 0, "allocs": 0, "up": []}
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
        elif words[0] == "dtoh":
            current["down"] = int(words[1])
            segments.append(current)
            current = {"launches": 0, "allocs": 0, "up": []}
if current["launches"] or current["up"]:
    current["down"] = "-"
    segments.append(current)
for n, s in enumerate(segments, 1):
    up = " ".join(str(b) for b in sorted(s["up"])) or "-"
    print("segment %d: launches %d allocs %d up %s down %s"
          % (n, s["launches"], s["allocs"], up, s["down"]))
