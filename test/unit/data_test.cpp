//===- data_test.cpp - data loaders, splits, normalisation ----------------===//
#include "data.h"
#include "error.h"
#include "test_util.h"

#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

using namespace kiln::rt;
using kiln::test::errorOf;
using kiln::test::writeTemp;
using ::testing::HasSubstr;

TEST(Csv, HeaderDetectedAndLastColumnIsTheTarget) {
  std::string p = writeTemp("h.csv", "a,b,label\n1,2,0\n3.5,-4,1\n");
  Dataset d = loadCsv(p, {});
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.features, 2);
  EXPECT_EQ(d.targets, 1);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3.5f, -4}));
  EXPECT_EQ(d.y, (std::vector<float>{0, 1}));
}

TEST(Csv, TabsGzipNoHeaderAndTwoTargets) {
  std::string p = writeTemp("t.tsv.gz", "1\t2\t3\t4\n5\t6\t7\t8\n", true);
  CsvOptions o;
  o.targets = 2;
  Dataset d = loadCsv(p, o);
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.features, 2);
  EXPECT_EQ(d.y, (std::vector<float>{3, 4, 7, 8}));
}

TEST(Csv, BlankLinesAndCrlfAreTolerated) {
  std::string p = writeTemp("crlf.csv", "1,2\r\n\r\n3,4\r\n");
  Dataset d = loadCsv(p, {});
  EXPECT_EQ(d.rows, 2);
}

TEST(Csv, RaggedRowNamesFileAndLine) {
  std::string p = writeTemp("ragged.csv", "1,2,3\n4,5\n");
  EXPECT_THAT(errorOf([&] { loadCsv(p, {}); }),
              HasSubstr("ragged.csv:2: expected 3 fields, found 2"));
}

TEST(Csv, NonNumberNamesFieldAndLine) {
  CsvOptions o;
  o.header = CsvOptions::Header::No;
  std::string p = writeTemp("nan.csv", "1,2\n3,abc\n");
  EXPECT_THAT(errorOf([&] { loadCsv(p, o); }),
              HasSubstr("nan.csv:2: field 2 ('abc') is not a number"));
}

TEST(Csv, NanAndInfinityAreRejected) {
  std::string p = writeTemp("inf.csv", "1,2\n3,inf\n");
  EXPECT_THAT(errorOf([&] { loadCsv(p, {}); }),
              HasSubstr("inf.csv:2: field 2 is inf"));
}

TEST(Csv, TooManyTargetColumns) {
  std::string p = writeTemp("narrow.csv", "1,2\n");
  CsvOptions o;
  o.targets = 2;
  EXPECT_THAT(errorOf([&] { loadCsv(p, o); }),
              HasSubstr("2 columns cannot hold 2 target column(s)"));
}

TEST(Csv, MissingFileAndCorruptGzip) {
  EXPECT_THAT(errorOf([] { loadCsv("/nonexistent/x.csv", {}); }),
              HasSubstr("/nonexistent/x.csv: no such file"));
  // A real gzip stream cut in half.
  std::string rows;
  for (int i = 0; i < 2000; ++i)
    rows += std::to_string(i) + "," + std::to_string(i * 7 % 13) + "\n";
  std::string full = writeTemp("full.csv.gz", rows, true);
  std::string bytes;
  {
    std::ifstream in(full, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string p = writeTemp("bad.csv.gz", bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT(errorOf([&] { loadCsv(p, {}); }),
              HasSubstr("bad.csv.gz: cannot read (corrupt or truncated gzip"));
  EXPECT_EQ(loadCsv(full, {}).rows, 2000);
}

TEST(Sklearn, ReadsHeaderAndClassNames) {
  std::string p = writeTemp("sk.csv", "2,3,no,yes\n1,2,3,0\n4,5,6,1\n");
  Dataset d = loadSklearnCsv(p);
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.features, 3);
  EXPECT_EQ(d.classNames, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(d.y, (std::vector<float>{0, 1}));
}

TEST(Sklearn, TruncatedFileIsReported) {
  std::string p = writeTemp("sk_short.csv", "3,1\n1,0\n2,1\n");
  EXPECT_THAT(errorOf([&] { loadSklearnCsv(p); }),
              HasSubstr("the header promises 3 samples but the file has 2"));
}

TEST(Diabetes, FeaturesAndTargetsFromTwoFiles) {
  std::string x = writeTemp("dx.gz", "1 2\n3 4\n5 6\n", true);
  std::string y = writeTemp("dy.gz", "10\n20\n30\n", true);
  Dataset d = loadDiabetes(x, y);
  EXPECT_EQ(d.rows, 3);
  EXPECT_EQ(d.features, 2);
  EXPECT_EQ(d.y, (std::vector<float>{10, 20, 30}));
  std::string y2 = writeTemp("dy2.gz", "10\n20\n", true);
  EXPECT_THAT(errorOf([&] { loadDiabetes(x, y2); }),
              HasSubstr("2 targets for 3 samples"));
}

namespace {
std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}
} // namespace

TEST(Idx, ImagesAndLabels) {
  std::string images = be32(0x803) + be32(2) + be32(2) + be32(2) +
                       std::string("\x00\xff\x80\x00\x01\x02\x03\x04", 8);
  std::string labels = be32(0x801) + be32(2) + std::string("\x07\x03", 2);
  Dataset d =
      loadIdx(writeTemp("i.idx.gz", images, true), writeTemp("l.idx", labels));
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.features, 4);
  EXPECT_TRUE(d.x.empty()); // pixels stay bytes
  EXPECT_FLOAT_EQ(d.feature(0, 1), 1.0f);
  EXPECT_FLOAT_EQ(d.feature(0, 2), 128 / 255.0f);
  EXPECT_FLOAT_EQ(d.feature(1, 3), 4 / 255.0f);
  EXPECT_EQ(d.y, (std::vector<float>{7, 3}));
}

TEST(Idx, TruncatedAndWrongMagic) {
  std::string labels = be32(0x801) + be32(2) + std::string("\x07\x03", 2);
  std::string l = writeTemp("l2.idx", labels);
  std::string shortImages = be32(0x803) + be32(2) + be32(2) + be32(2) + "abc";
  EXPECT_THAT(errorOf([&] { loadIdx(writeTemp("short.idx", shortImages), l); }),
              HasSubstr("truncated or corrupt"));
  EXPECT_THAT(errorOf([&] { loadIdx(l, l); }),
              HasSubstr("not an IDX image file"));
}

TEST(Named, UnknownNameListsTheKnownOnes) {
  EXPECT_THAT(errorOf([] { loadNamed("mnist", ""); }),
              HasSubstr("unknown data set 'mnist' (known: iris, breast-cancer, "
                        "diabetes, fashion-mnist, cifar10; use --data FILE"));
  EXPECT_THAT(
      errorOf([] { loadNamed("iris", "/nonexistent"); }),
      HasSubstr("/nonexistent not found (install Debian's python3-sklearn"));
}

TEST(Split, DeterministicDisjointAndComplete) {
  Split a = splitRows(100, 0.2, 7), b = splitRows(100, 0.2, 7),
        c = splitRows(100, 0.2, 8);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_NE(a.validation, c.validation);
  EXPECT_EQ(a.validation.size(), 20u);
  std::set<int64_t> all(a.train.begin(), a.train.end());
  all.insert(a.validation.begin(), a.validation.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_TRUE(splitRows(10, 0.0, 1).validation.empty());
  EXPECT_THAT(errorOf([] { splitRows(10, 1.5, 0); }),
              HasSubstr("validation fraction must be in [0, 1)"));
}

TEST(Normalizer, ZScoreFitsOnTrainingRowsOnly) {
  Dataset d;
  d.rows = 4;
  d.features = 2;
  d.x = {1, 5, 3, 5, 100, 5, -7, 5};
  Normalizer z;
  z.fit(d, {0, 1});
  z.apply(d);
  EXPECT_FLOAT_EQ(d.feature(0, 0), -1);
  EXPECT_FLOAT_EQ(d.feature(1, 0), 1);
  EXPECT_FLOAT_EQ(d.feature(2, 0), 98); // (100 - mean 2) / sd 1
  // A constant feature is centred, not divided by zero.
  EXPECT_FLOAT_EQ(d.feature(0, 1), 0);
  EXPECT_FALSE(std::isnan(d.feature(3, 1)));
  EXPECT_EQ(d.x[4], 100); // the table itself is not rewritten
}

TEST(Normalizer, MinMaxComposesWithTheByteScale) {
  Dataset d;
  d.rows = 3;
  d.features = 2;
  d.x8 = {0, 7, 51, 7, 255, 7};
  d.scale = {1 / 255.0f, 1 / 255.0f};
  d.shift = {0, 0};
  Normalizer m;
  m.kind = Normalizer::Kind::MinMax;
  m.fit(d, {0, 1});
  m.apply(d);
  EXPECT_FLOAT_EQ(d.feature(0, 0), 0);
  EXPECT_FLOAT_EQ(d.feature(1, 0), 1);
  EXPECT_NEAR(d.feature(2, 0), 5, 1e-5); // outside the fitted range
  EXPECT_FLOAT_EQ(d.feature(2, 1), 0);   // constant: centred
}

TEST(Dataset, GatherMapsRowsLikeFeature) {
  Dataset d;
  d.rows = 3;
  d.features = 37; // not a multiple of any vector width
  for (int64_t i = 0; i < d.rows * d.features; ++i)
    d.x8.push_back(static_cast<uint8_t>(i * 7));
  for (int64_t c = 0; c < d.features; ++c) {
    d.scale.push_back(0.5f + c);
    d.shift.push_back(-3.0f * c);
  }
  int64_t rows[] = {2, 0, 2, 1};
  std::vector<float> out(4 * d.features, -1);
  d.gather(rows, 1, 4, out.data());
  EXPECT_EQ(out[0], -1); // rows before lo are untouched
  for (int64_t i = 1; i < 4; ++i)
    for (int64_t c = 0; c < d.features; ++c)
      ASSERT_FLOAT_EQ(out[i * d.features + c], d.feature(rows[i], c))
          << "row " << i << " feature " << c;
  // Float tables without a map are copied as they are.
  Dataset f;
  f.rows = 2;
  f.features = 3;
  f.x = {1, 2, 3, 4, 5, 6};
  int64_t one[] = {1};
  f.gather(one, 0, 1, out.data());
  EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 3),
            (std::vector<float>{4, 5, 6}));
}

namespace {
/// A version-1 .npy file: magic, header padded to 64 bytes, data.
std::string npy(const std::string &descr, const std::string &shape,
                const std::string &data, bool fortran = false) {
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': (" + shape + "), }";
  while ((10 + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  return out + header + data;
}
template <typename T> std::string raw(std::initializer_list<T> v) {
  return std::string(reinterpret_cast<const char *>(std::data(v)),
                     v.size() * sizeof(T));
}
} // namespace

TEST(Npy, FloatAndByteArrays) {
  Dataset d = loadNpy(
      writeTemp("a.npy", npy("<f4", "2, 3", raw<float>({1, 2, 3, 4, 5, 6}))),
      1);
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.features, 2);
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(d.y, (std::vector<float>{3, 6}));
  Dataset b = loadNpy(
      writeTemp("b.npy.gz",
                npy("|u1", "3, 2", raw<uint8_t>({0, 9, 255, 1, 7, 7})), true),
      0);
  EXPECT_EQ(b.features, 2);
  EXPECT_EQ(b.x, (std::vector<float>{0, 9, 255, 1, 7, 7}));
  Dataset c = loadNpy(
      writeTemp("c.npy", npy("<f8", "2, 2", raw<double>({0.5, -1, 2, 3}))), 1);
  EXPECT_EQ(c.x, (std::vector<float>{0.5f, 2}));
}

TEST(Npy, BadFilesAreExplained) {
  auto err = [](const std::string &name, const std::string &content,
                int targets = 1) {
    return errorOf([&] { loadNpy(writeTemp(name, content), targets); });
  };
  EXPECT_THAT(err("m.npy", "hello world"), HasSubstr("not a NumPy .npy file"));
  EXPECT_THAT(err("t.npy", npy("<f4", "2, 3", raw<float>({1, 2, 3}))),
              HasSubstr("2x3 of '<f4' need 24 bytes of data, the file has 12 "
                        "(truncated or corrupt)"));
  EXPECT_THAT(err("f.npy", npy("<f4", "1, 2", raw<float>({1, 2}), true)),
              HasSubstr("Fortran-ordered"));
  EXPECT_THAT(err("s.npy", npy("<c8", "1, 1", std::string(8, 0))),
              HasSubstr("unsupported dtype '<c8'"));
  EXPECT_THAT(err("r.npy", npy("<f4", "1, 2, 2", raw<float>({1, 2, 3, 4}))),
              HasSubstr("expected a 1-d or 2-d array"));
  EXPECT_THAT(err("n.npy", npy("<f4", "1, 2", raw<float>({1, NAN}))),
              HasSubstr("row 0, column 1 is nan"));
  EXPECT_THAT(err("o.npy", npy("<f4", "2,", raw<float>({1, 2}))),
              HasSubstr("has 1 columns; 1 target column(s) leave no features"));
}

TEST(Normalizer, MinMaxToARangeAndPerChannelZScore) {
  Dataset d;
  d.rows = 2;
  d.features = 4; // two channels of two "pixels"
  d.x = {0, 2, 10, 10, 4, 6, 30, 30};
  Normalizer m = Normalizer::parse("minmax:-1,1");
  m.fit(d, {0, 1});
  Dataset a = d;
  m.apply(a);
  EXPECT_FLOAT_EQ(a.feature(0, 0), -1);
  EXPECT_FLOAT_EQ(a.feature(1, 0), 1);
  EXPECT_FLOAT_EQ(a.feature(1, 1), 1);
  Normalizer c = Normalizer::parse("zscore-channels:2");
  c.fit(d, {0, 1});
  c.apply(d);
  // Channel 0 pools {0, 2, 4, 6}: mean 3, sd √5; channel 1 {10, 10, 30, 30}.
  EXPECT_NEAR(d.feature(0, 0), -3 / std::sqrt(5.0), 1e-6);
  EXPECT_NEAR(d.feature(1, 1), 3 / std::sqrt(5.0), 1e-6);
  EXPECT_NEAR(d.feature(0, 2), -1, 1e-6);
  EXPECT_NEAR(d.feature(1, 3), 1, 1e-6);
  EXPECT_THAT(errorOf([] { Normalizer::parse("l2"); }),
              HasSubstr("--normalize must be zscore, minmax, minmax:LO,HI, "
                        "zscore-channels:C, zscore-channels-last:C or none, "
                        "got 'l2'"));
  EXPECT_THAT(errorOf([] { Normalizer::parse("minmax:1,-1"); }),
              HasSubstr("HI must exceed LO"));
  Normalizer three = Normalizer::parse("zscore-channels:3");
  EXPECT_THAT(errorOf([&] { three.fit(d, {0}); }),
              HasSubstr("4 features do not split into 3 channels"));
}

namespace {
/// One CIFAR-10 record: a label byte, then the red, green and blue planes
/// (32x32 each, row-major) with pixel(c, h, w) as the value.
std::string cifarRecord(int label,
                        const std::function<uint8_t(int, int, int)> &pixel) {
  std::string out(1, char(label));
  for (int c = 0; c < 3; ++c)
    for (int h = 0; h < 32; ++h)
      for (int w = 0; w < 32; ++w)
        out += char(pixel(c, h, w));
  return out;
}
/// Feature index of pixel (h, w), channel c, channels last.
int64_t hwc(int h, int w, int c) { return (h * 32 + w) * 3 + c; }
/// A fresh empty directory under the test temp dir.
std::string tempDir(const std::string &name) {
  std::string dir = ::testing::TempDir() + "kiln_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}
void writeFile(const std::string &path, const std::string &content) {
  std::ofstream(path, std::ios::binary) << content;
}
} // namespace

TEST(Cifar, TransposesToChannelsLastWithLabelsAndClassNames) {
  // A few marked pixels in otherwise black images.
  std::string file = cifarRecord(3,
                                 [](int c, int h, int w) -> uint8_t {
                                   if (c == 0 && h == 0 && w == 1)
                                     return 11;
                                   if (c == 1 && h == 2 && w == 3)
                                     return 22;
                                   if (c == 2 && h == 31 && w == 31)
                                     return 255;
                                   return 0;
                                 }) +
                     cifarRecord(9, [](int c, int h, int w) {
                       return (c * 1024 + h * 32 + w) % 251;
                     });
  Dataset d = loadCifar({writeTemp("one.bin", file)});
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.features, 3072);
  EXPECT_EQ(d.targets, 1);
  EXPECT_TRUE(d.x.empty()); // pixels stay bytes
  EXPECT_EQ(d.x8[hwc(0, 1, 0)], 11);
  EXPECT_EQ(d.x8[hwc(2, 3, 1)], 22);
  EXPECT_EQ(d.x8[hwc(31, 31, 2)], 255);
  EXPECT_EQ(d.x8[1], 0); // (0, 0) green, not (0, 1) red as in the file
  int nonzero = 0;
  for (int64_t f = 0; f < 3072; ++f)
    nonzero += d.x8[f] != 0;
  EXPECT_EQ(nonzero, 3);
  for (int c = 0; c < 3; ++c)
    for (int h = 0; h < 32; ++h)
      for (int w = 0; w < 32; ++w)
        ASSERT_EQ(d.x8[3072 + hwc(h, w, c)], (c * 1024 + h * 32 + w) % 251)
            << "c " << c << " h " << h << " w " << w;
  EXPECT_EQ(d.y, (std::vector<float>{3, 9}));
  ASSERT_EQ(d.classNames.size(), 10u);
  EXPECT_EQ(d.classNames[0], "airplane");
  EXPECT_EQ(d.classNames[3], "cat");
  EXPECT_EQ(d.classNames[9], "truck");
}

TEST(Cifar, PixelsScaleToTheUnitInterval) {
  Dataset d =
      loadCifar({writeTemp("scale.bin", cifarRecord(0, [](int c, int h, int w) {
                             return c == 0 ? 0 : c == 1 ? 255 : (h + w) * 4;
                           }))});
  EXPECT_FLOAT_EQ(d.feature(0, hwc(5, 7, 0)), 0);
  EXPECT_FLOAT_EQ(d.feature(0, hwc(5, 7, 1)), 1);
  EXPECT_FLOAT_EQ(d.feature(0, hwc(5, 7, 2)), 48 / 255.0f);
  std::vector<float> out(3072);
  int64_t row = 0;
  d.gather(&row, 0, 1, out.data());
  EXPECT_EQ(*std::min_element(out.begin(), out.end()), 0);
  EXPECT_EQ(*std::max_element(out.begin(), out.end()), 1);
}

TEST(Cifar, FilesConcatenateInOrderGzipOrNot) {
  auto flat = [](uint8_t v) { return [v](int, int, int) { return v; }; };
  std::string a =
      writeTemp("a.bin", cifarRecord(1, flat(10)) + cifarRecord(2, flat(20)));
  std::string b = writeTemp("b.bin.gz", cifarRecord(7, flat(70)), true);
  Dataset d = loadCifar({a, b});
  EXPECT_EQ(d.rows, 3);
  EXPECT_EQ(d.y, (std::vector<float>{1, 2, 7}));
  EXPECT_EQ(d.x8[2 * 3072 + 100], 70);
  EXPECT_EQ(d.x8[3071], 10);
}

TEST(Cifar, BadFilesNameTheFileAndTheRecord) {
  std::string two = cifarRecord(0, [](int, int, int) { return 1; }) +
                    cifarRecord(9, [](int, int, int) { return 2; });
  EXPECT_THAT(errorOf([] { loadCifar({writeTemp("empty.bin", "")}); }),
              HasSubstr("kiln_empty.bin: empty file (CIFAR-10 records are "
                        "3073 bytes: a label and 32x32x3 pixels)"));
  EXPECT_THAT(
      errorOf([&] { loadCifar({writeTemp("cut.bin", two + "abc")}); }),
      HasSubstr("kiln_cut.bin: 6149 bytes are not a whole number of "
                "3073-byte CIFAR-10 records: record 2 (counting from 0) has "
                "only 3 (truncated, or not a CIFAR-10 binary file)"));
  std::string bad = two + cifarRecord(10, [](int, int, int) { return 0; });
  EXPECT_THAT(errorOf([&] { loadCifar({writeTemp("label.bin", bad)}); }),
              HasSubstr("kiln_label.bin: record 2 (counting from 0) has label "
                        "10; CIFAR-10's are 0 to 9"));
  // The error names the file it is in, not the first one.
  std::string good = writeTemp("good.bin", two);
  EXPECT_THAT(errorOf([&] {
                loadCifar({good, writeTemp("label.bin.gz", bad, true)});
              }),
              HasSubstr("kiln_label.bin.gz: record 2 (counting from 0)"));
  EXPECT_THAT(errorOf([] { loadCifar({"/nonexistent/data_batch_1.bin"}); }),
              HasSubstr("/nonexistent/data_batch_1.bin: no such file"));
}

TEST(Named, Cifar10ReadsTheBatchesThatExist) {
  EXPECT_THAT(errorOf([] { loadNamed("cifar10", ""); }),
              HasSubstr("data set 'cifar10' is not packaged by Debian, so it "
                        "has no default location"));
  EXPECT_THAT(errorOf([] { loadNamed("cifar10", ""); }),
              HasSubstr("point --data-path at its directory"));
  std::string dir = tempDir("cifar10");
  EXPECT_THAT(errorOf([&] { loadNamed("cifar10", dir); }),
              HasSubstr("data set 'cifar10': no training batch "
                        "(data_batch_1.bin to data_batch_5.bin) in " +
                        dir));
  EXPECT_THAT(errorOf([&] { loadNamed("cifar10", dir + "/nothere"); }),
              HasSubstr("--data-path " + dir + "/nothere does not exist"));
  auto flat = [](uint8_t v) { return [v](int, int, int) { return v; }; };
  writeFile(dir + "/data_batch_1.bin", cifarRecord(4, flat(1)));
  writeFile(dir + "/data_batch_3.bin",
            cifarRecord(5, flat(3)) + cifarRecord(6, flat(3)));
  writeFile(dir + "/data_batch_6.bin", cifarRecord(7, flat(6))); // not one
  EXPECT_THAT(errorOf([&] { loadNamed("cifar10", dir + "/data_batch_1.bin"); }),
              HasSubstr("data_batch_1.bin is a file"));
  Dataset d = loadNamed("cifar10", dir);
  EXPECT_EQ(d.source, "cifar10");
  EXPECT_EQ(d.rows, 3);
  EXPECT_EQ(d.y, (std::vector<float>{4, 5, 6}));
  EXPECT_THAT(
      errorOf([&] { loadNamed("cifar10", dir, /*test=*/true); }),
      HasSubstr("data set 'cifar10': " + dir + "/test_batch.bin not found"));
  writeFile(dir + "/test_batch.bin", cifarRecord(8, flat(8)));
  Dataset t = loadNamed("cifar10", dir, /*test=*/true);
  EXPECT_EQ(t.rows, 1);
  EXPECT_EQ(t.y, (std::vector<float>{8}));
}

TEST(Normalizer, ChannelsLastZScorePoolsEveryCthFeature) {
  Dataset d;
  d.rows = 3;
  d.features = 6; // two pixels of three channels, channels last
  d.x = {1,    10, 100, 3, 30, 300, //
         5,    50, 500, 7, 70, 700, //
         1000, 0,  0,   0, 0,  0};  // not a training row
  Normalizer z = Normalizer::parse("zscore-channels-last:3");
  EXPECT_TRUE(z.channelsLast);
  EXPECT_EQ(z.channels, 3);
  z.fit(d, {0, 1});
  // Channel 0 pools {1, 3, 5, 7}: mean 4, variance (9+1+1+9)/4 = 5;
  // channel 1 is ten times that, channel 2 a hundred.
  EXPECT_EQ(z.offset, (std::vector<float>{4, 40, 400, 4, 40, 400}));
  EXPECT_NEAR(z.factor[0], 1 / std::sqrt(5.0), 1e-7);
  EXPECT_NEAR(z.factor[4], 1 / (10 * std::sqrt(5.0)), 1e-8);
  EXPECT_NEAR(z.factor[5], 1 / (100 * std::sqrt(5.0)), 1e-9);
  z.apply(d);
  EXPECT_NEAR(d.feature(0, 0), -3 / std::sqrt(5.0), 1e-6);
  EXPECT_NEAR(d.feature(1, 4), 3 / std::sqrt(5.0), 1e-6);
  EXPECT_NEAR(d.feature(0, 5), -1 / std::sqrt(5.0), 1e-6);
  EXPECT_NEAR(d.feature(2, 0), 996 / std::sqrt(5.0), 1e-3);
  // Channels first on the same table pools {1, 10, 5, 50} instead.
  Dataset e;
  e.rows = 2;
  e.features = 6;
  e.x = {1, 10, 100, 3, 30, 300, 5, 50, 500, 7, 70, 700};
  Normalizer planes = Normalizer::parse("zscore-channels:3");
  EXPECT_FALSE(planes.channelsLast);
  planes.fit(e, {0, 1});
  EXPECT_FLOAT_EQ(planes.offset[0], 16.5f);
  EXPECT_THAT(errorOf([] { Normalizer::parse("zscore-channels-last:0"); }),
              HasSubstr("'zscore-channels-last:0': channels must be a "
                        "positive integer"));
  Normalizer five = Normalizer::parse("zscore-channels-last:5");
  EXPECT_THAT(errorOf([&] { five.fit(e, {0}); }),
              HasSubstr("6 features do not split into 5 channels"));
}

TEST(Normalizer, ChannelsLastOnCifarComposesWithTheByteScale) {
  // Red is 0 in one image and 255 in the other; green is constant; blue
  // is 8·w in both.
  std::string file = cifarRecord(0,
                                 [](int c, int, int w) {
                                   return c == 0 ? 0 : c == 1 ? 51 : 8 * w;
                                 }) +
                     cifarRecord(1, [](int c, int, int w) {
                       return c == 0 ? 255 : c == 1 ? 51 : 8 * w;
                     });
  Dataset d = loadCifar({writeTemp("z.bin", file)});
  Normalizer z = Normalizer::parse("zscore-channels-last:3");
  z.fit(d, {0, 1});
  z.apply(d);
  // Red: mean 0.5, sd 0.5.
  EXPECT_NEAR(d.feature(0, hwc(4, 9, 0)), -1, 1e-5);
  EXPECT_NEAR(d.feature(1, hwc(4, 9, 0)), 1, 1e-5);
  // Green: constant, so centred and not divided.
  EXPECT_NEAR(d.feature(0, hwc(4, 9, 1)), 0, 1e-6);
  // Blue: w = 0..31 uniformly, mean 15.5, sd √((32² − 1)/12).
  double sd = std::sqrt((32.0 * 32 - 1) / 12);
  EXPECT_NEAR(d.feature(0, hwc(17, 0, 2)), -15.5 / sd, 1e-4);
  EXPECT_NEAR(d.feature(1, hwc(3, 31, 2)), 15.5 / sd, 1e-4);
}
