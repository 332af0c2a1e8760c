"""Assembles every kernel's PTX in `kiln build --emit=device` output with
NVIDIA's ptxas for one GPU as the driver's JIT does there under Halide's
CUDA runtime (which caps it at 64 registers a thread unless
HL_CUDA_JIT_MAX_REGISTERS says otherwise), and prints one line per kernel
and a summary:

  kiln_kN: entries E registers R spill-bytes S
  assembled K of N kernels for sm_XX, spill-bytes S, max registers R

Exits 1 if ptxas rejects a kernel. Usage: ptxas_check.py PTXAS FILE GPU."""
import os
import re
import subprocess
import sys
import tempfile

ptxas, path, gpu = sys.argv[1:4]
with open(path, errors="replace") as f:
    text = f.read()
# Each kernel's module starts with "// ----- kiln_kN: <ops> at <place>".
chunks = re.split(r"(?m)^(?=// ----- )", text)
kernels = [c for c in chunks if c.startswith("// ----- ")]
assembled, spills, max_registers, failed = 0, 0, 0, False
with tempfile.TemporaryDirectory() as tmp:
    for chunk in kernels:
        name = chunk[len("// ----- "):].split(":", 1)[0]
        src = os.path.join(tmp, name + ".ptx")
        with open(src, "w") as out:
            out.write(chunk)
        run = subprocess.run([ptxas, "--gpu-name", gpu, "--maxrregcount", "64", "-v",
                              "-o", os.devnull, src],
                             capture_output=True, text=True)
        log = run.stdout + run.stderr
        if run.returncode != 0:
            failed = True
            print("%s: ptxas failed:\n%s" % (name, log.strip()))
            continue
        assembled += 1
        registers = [int(r) for r in re.findall(r"Used (\d+) registers", log)]
        spilled = sum(int(a) + int(b) for a, b in re.findall(
            r"(\d+) bytes spill stores, (\d+) bytes spill loads", log))
        spills += spilled
        max_registers = max([max_registers] + registers)
        print("%s: entries %d registers %d spill-bytes %d"
              % (name, len(registers), max(registers, default=0), spilled))
print("assembled %d of %d kernels for %s, spill-bytes %d, max registers %d"
      % (assembled, len(kernels), gpu, spills, max_registers))
sys.exit(1 if failed else 0)
