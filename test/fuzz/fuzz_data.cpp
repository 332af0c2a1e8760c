//===- fuzz_data.cpp - libFuzzer target: the runtime's data readers -------===//
//
// One binary per format (KILN_FUZZ_FORMAT at compile time): idx, csv, npy.
// A reader must accept the input or throw kiln::rt::Error; any other
// exception, a crash or a sanitizer report is a bug.
//
//===----------------------------------------------------------------------===//
#include "data.h"
#include "error.h"
#include "fuzz_util.h"

#include <cstring>

using namespace kiln;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string a = fuzz::scratchPath(".a"),
                           b = fuzz::scratchPath(".b");
  try {
#if KILN_FUZZ_FORMAT_IDX
    // Images, then labels: the first byte says where the split falls.
    size_t cut = size ? (size - 1) * data[0] / 255 : 0;
    const uint8_t *rest = size ? data + 1 : data;
    fuzz::writeFile(a, rest, cut);
    fuzz::writeFile(b, rest + cut, size ? size - 1 - cut : 0);
    rt::Dataset ds = rt::loadIdx(a, b);
#elif KILN_FUZZ_FORMAT_CSV
    fuzz::writeFile(a, data, size);
    rt::CsvOptions opts;
    opts.targets = size ? data[0] % 3 : 1;
    rt::Dataset ds = rt::loadCsv(a, opts);
#elif KILN_FUZZ_FORMAT_NPY
    fuzz::writeFile(a, data, size);
    rt::Dataset ds = rt::loadNpy(a, 1);
#else
#error "set KILN_FUZZ_FORMAT_IDX, _CSV or _NPY"
#endif
    // What training does next with a data set: map and gather its rows.
    if (ds.rows > 0 && ds.features > 0 && ds.features < (1 << 20)) {
      std::vector<float> row(ds.features);
      int64_t idx[1] = {ds.rows - 1};
      ds.gather(idx, 0, 1, row.data());
    }
  } catch (const rt::Error &) {
  }
  return 0;
}
