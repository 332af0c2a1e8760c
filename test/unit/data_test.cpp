//===- data_test.cpp - data loaders, splits, normalisation ----------------===//
#include "data.h"
#include "error.h"
#include "test_util.h"

#include <cmath>
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
                        "diabetes, fashion-mnist"));
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
                        "zscore-channels:C or none, got 'l2'"));
  EXPECT_THAT(errorOf([] { Normalizer::parse("minmax:1,-1"); }),
              HasSubstr("HI must exceed LO"));
  Normalizer three = Normalizer::parse("zscore-channels:3");
  EXPECT_THAT(errorOf([&] { three.fit(d, {0}); }),
              HasSubstr("4 features do not split into 3 channels"));
}
